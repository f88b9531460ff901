/* tap.h - Test Anything Protocol output for the C unit tests. */
#ifndef MAILOUT_TAP_H
#define MAILOUT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    tap_n++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)
#define is_str(got, want, ...) do { \
        const char *g_ = (got), *w_ = (want); \
        int same_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0); \
        if (!tap_ok(same_, __VA_ARGS__)) \
            printf("#   got:      '%s'\n#   expected: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
    } while (0)
#define is_int(got, want, ...) do { \
        long long g_ = (long long)(got), w_ = (long long)(want); \
        if (!tap_ok(g_ == w_, __VA_ARGS__)) \
            printf("#   got:      %lld\n#   expected: %lld\n", g_, w_); \
    } while (0)
#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

static inline int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
