/* resolve.c - getaddrinfo bounded in time with glibc's getaddrinfo_a: the
 * request runs in a helper thread, we wait for it with gai_suspend and walk
 * away when the time is up. */
#include "config.h"
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "resolve.h"
#include "util.h"

/* What the lookup thread may still read or write after we gave up: kept
 * together so that it can be left behind in one piece. */
struct lookup {
    struct gaicb cb;
    struct addrinfo hints;
    char *name, *service;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void lookup_free(struct lookup *l)
{
    free(l->name);
    free(l->service);
    free(l);
}

static int wait_for(struct lookup *l, int timeout_ms)
{
    const struct gaicb *list[1] = { &l->cb };
    long long deadline = now_ms() + timeout_ms;

    for (;;) {
        int r = gai_error(&l->cb);
        if (r != EAI_INPROGRESS)
            return r;
        long long left = deadline - now_ms();
        if (left <= 0)
            return RESOLVE_TIMED_OUT;
        struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L };
        gai_suspend(list, 1, &ts);      /* EAI_AGAIN, EAI_INTR: look again */
    }
}

int resolve_bounded(const char *name, const char *service, const struct addrinfo *hints,
                    int timeout_ms, struct addrinfo **res)
{
    struct lookup *l = xcalloc(1, sizeof *l);
    struct gaicb *list[1] = { &l->cb };
    int r;

    *res = NULL;
    l->name = name ? xstrdup(name) : NULL;
    l->service = service ? xstrdup(service) : NULL;
    if (hints) {
        l->hints = *hints;
        l->cb.ar_request = &l->hints;
    }
    l->cb.ar_name = l->name;
    l->cb.ar_service = l->service;
    r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
    if (r != 0) {
        lookup_free(l);
        return r;
    }
    r = wait_for(l, timeout_ms > 0 ? timeout_ms : 1);
    if (r == RESOLVE_TIMED_OUT) {
        int c = gai_cancel(&l->cb);
        if (c == EAI_ALLDONE)
            r = gai_error(&l->cb);      /* it finished meanwhile */
        else if (c != EAI_CANCELED)
            return r;           /* still running: l is left to the thread */
    }
    if (r == 0)
        *res = l->cb.ar_result;
    else if (l->cb.ar_result)
        freeaddrinfo(l->cb.ar_result);
    lookup_free(l);
    return r;
}
