/* err.c - the single error-reporting style of mailout. */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "err.h"

int mo_err_set(struct mo_err *e, int code, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return -1;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int mo_err_prefix(struct mo_err *e, const char *fmt, ...)
{
    char prefix[512];
    char old[sizeof e->msg];
    va_list ap;

    if (e == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof e->msg - 3)
        n = sizeof e->msg - 3;
    memcpy(e->msg, prefix, n);
    memcpy(e->msg + n, ": ", 2);
    size_t room = sizeof e->msg - n - 3;
    size_t oldlen = strnlen(old, room);
    memcpy(e->msg + n + 2, old, oldlen);
    e->msg[n + 2 + oldlen] = '\0';
    return -1;
}

const char *mo_exit_name(int code)
{
    static const struct { int code; const char *name; } names[] = {
        { EX_OK, "EX_OK" }, { EX_USAGE, "EX_USAGE" },
        { EX_DATAERR, "EX_DATAERR" }, { EX_NOINPUT, "EX_NOINPUT" },
        { EX_NOUSER, "EX_NOUSER" }, { EX_NOHOST, "EX_NOHOST" },
        { EX_UNAVAILABLE, "EX_UNAVAILABLE" }, { EX_SOFTWARE, "EX_SOFTWARE" },
        { EX_OSERR, "EX_OSERR" }, { EX_OSFILE, "EX_OSFILE" },
        { EX_CANTCREAT, "EX_CANTCREAT" }, { EX_IOERR, "EX_IOERR" },
        { EX_TEMPFAIL, "EX_TEMPFAIL" }, { EX_PROTOCOL, "EX_PROTOCOL" },
        { EX_NOPERM, "EX_NOPERM" }, { EX_CONFIG, "EX_CONFIG" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return "EX_UNKNOWN";
}
