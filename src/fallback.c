/* fallback.c - see fallback.h: the fallback list, its check at load time
 * and the chain of servers a delivery walks (delivery.c walks it). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "i18n.h"
#include "util.h"
#include "fallback.h"

static bool is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

bool fallback_next(const char **p, const char **name, size_t *len)
{
    const char *s = *p;

    while (*s != '\0' && is_sep(*s))
        s++;
    *name = s;
    while (*s != '\0' && !is_sep(*s))
        s++;
    *len = (size_t)(s - *name);
    *p = s;
    return *len > 0;
}

static bool same_name(const char *a, const char *name, size_t len)
{
    return strlen(a) == len && memcmp(a, name, len) == 0;
}

/* The index of the account called name[0..len), or n when there is none. */
static size_t index_of(const char *const *names, size_t n, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (same_name(names[i], name, len))
            break;
    return i;
}

struct graph {
    const char *const *names, *const *lists;
    size_t n;
    bool *reported;
    void (*report)(void *ctx, size_t i, const char *why);
    void *ctx;
};

static void report_once(struct graph *g, size_t i, const char *why)
{
    if (!g->reported[i]) {
        g->reported[i] = true;
        g->report(g->ctx, i, why);
    }
}

/* Unknown names and the account itself. */
static void check_names(struct graph *g, size_t i)
{
    const char *p = g->lists[i], *name;
    size_t len;
    char why[512];

    while (p != NULL && fallback_next(&p, &name, &len)) {
        size_t j = index_of(g->names, g->n, name, len);
        if (j == g->n)
            snprintf(why, sizeof why, _("no account named '%.*s'"), (int)len, name);
        else if (j == i)
            snprintf(why, sizeof why, _("account %s cannot fall back to itself"), g->names[i]);
        else
            continue;
        report_once(g, i, why);
    }
}

struct frame {
    size_t node;
    const char *pos;            /* the rest of its list */
};

/* stack[0..depth) leads to stack[depth - 1], whose list names stack[from]
 * again: "a -> b -> a". */
static void report_cycle(struct graph *g, const struct frame *stack, size_t from,
                         size_t depth)
{
    struct strbuf b;
    char why[768];

    strbuf_init(&b, 0);
    for (size_t k = from; k < depth; k++)
        strbuf_appendf(&b, "%s -> ", g->names[stack[k].node]);
    strbuf_appendf(&b, "%s", g->names[stack[from].node]);
    snprintf(why, sizeof why, _("fallback cycle: %s"), b.data);
    strbuf_free(&b);
    report_once(g, stack[depth - 1].node, why);
}

enum { WHITE, GREY, BLACK };

/* Depth first from root, without recursion (a file may hold many
 * accounts); an account on the current path named again is a cycle. */
static void walk(struct graph *g, size_t root, unsigned char *colour, struct frame *stack)
{
    size_t depth = 1;

    stack[0] = (struct frame){ root, g->lists[root] };
    colour[root] = GREY;
    while (depth > 0) {
        struct frame *f = &stack[depth - 1];
        const char *name;
        size_t len, j, k;
        if (f->pos == NULL || !fallback_next(&f->pos, &name, &len)) {
            colour[f->node] = BLACK;
            depth--;
            continue;
        }
        j = index_of(g->names, g->n, name, len);
        if (j == g->n || j == f->node || colour[j] == BLACK)
            continue;           /* reported by check_names, or done */
        if (colour[j] == GREY) {
            for (k = 0; stack[k].node != j; k++)
                ;
            report_cycle(g, stack, k, depth);
            continue;
        }
        colour[j] = GREY;
        stack[depth++] = (struct frame){ j, g->lists[j] };
    }
}

void fallback_check(const char *const *names, const char *const *lists, size_t n,
                    void (*report)(void *ctx, size_t i, const char *why), void *ctx)
{
    struct graph g = { names, lists, n, xcalloc(n + 1, sizeof *g.reported), report, ctx };
    unsigned char *colour = xcalloc(n + 1, 1);
    struct frame *stack = xcalloc(n + 1, sizeof *stack);

    for (size_t i = 0; i < n; i++)
        check_names(&g, i);
    for (size_t i = 0; i < n; i++)
        if (colour[i] == WHITE)
            walk(&g, i, colour, stack);
    free(stack);
    free(colour);
    free(g.reported);
}

static bool in_chain(const struct account *const *out, size_t n, const struct account *a)
{
    for (size_t i = 0; i < n; i++)
        if (out[i] == a)
            return true;
    return false;
}

/* a and, after it, what it falls back to. The load checked the names and
 * that there is no cycle; an account is still added only once. */
static void add(const struct config *cfg, const struct account *a,
                const struct account **out, size_t *n)
{
    const char *p = a->fallback, *name;
    size_t len;

    out[(*n)++] = a;
    while (p != NULL && fallback_next(&p, &name, &len)) {
        const struct account *next = config_find_account(cfg, name, len);
        if (next != NULL && !in_chain(out, *n, next))
            add(cfg, next, out, n);
    }
}

size_t fallback_chain(const struct config *cfg, const struct account *acct,
                      const struct account **out)
{
    size_t n = 0;

    add(cfg, acct, out, &n);
    return n;
}
