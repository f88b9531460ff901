/* tls.c - stub until its module lands. */
#include "config.h"
#include "tls.h"
