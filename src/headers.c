/* headers.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "headers.h"
