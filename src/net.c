/* net.c - stub until its module lands. */
#include "config.h"
#include "net.h"
