/* address.c - RFC 5322 address lists (To/Cc/Bcc/From, command line).
 *
 * A small lexer turns the text into words (atoms, quoted strings, domain
 * literals) and specials, dropping whitespace, folding and comments; the
 * parser reads one list element at a time. Nothing recurses: comments are
 * skipped with a depth counter, groups are a flag, since a group cannot nest.
 * Addresses are taken apart only as far as relaying needs: the addr-spec for
 * the envelope and the display name for dry-run and From. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "address.h"
#ifdef HAVE_LIBIDN2
#include <idn2.h>
#endif

/* A header field body can be long (a big Cc list), but not endless. */
#define ADDRESS_MAX_TEXT (1024 * 1024)
/* One addr-spec or display name: the longest line RFC 5322 allows. */
#define ADDRESS_MAX_ITEM 998
/* Real comments nest once or twice; deeper is an attack or garbage. */
#define ADDRESS_MAX_COMMENT_DEPTH 32
/* How much of the offending text an error message quotes. */
#define SNIPPET_BEFORE 48
#define SNIPPET_MAX 64

enum tok_kind { T_END, T_ATOM, T_QSTR, T_LITERAL, T_SPECIAL };

struct tok {
    enum tok_kind kind;
    char c;                 /* the special character for T_SPECIAL */
    bool space_before;      /* whitespace, folding or a comment came first */
    const char *at;         /* where it starts in the input */
    struct strbuf val;      /* unquoted, unfolded text of a word */
};

struct lexer {
    const char *p, *end;
    const char *elem;       /* start of the list element, for messages */
    struct mo_err *err;
};

/* Parse modes: a header field, or one address from the command line. */
enum { MODE_LIST = 0, MODE_ONE = 1 };

static bool is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static bool is_special(unsigned char c)
{
    return strchr("()<>[]:;@\\,\"", c) != NULL && c != '\0';
}

/* RFC 5322 atext, plus any byte of a UTF-8 sequence (RFC 6532). */
static bool is_atext(unsigned char c)
{
    if (c >= 0x80)
        return true;
    if (is_ctl(c) || c == ' ')
        return false;
    return !is_special(c) && c != '.';
}

static bool valid_utf8(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < len; ) {
        size_t n = 1;
        if (u[i] >= 0x80 && (n = utf8_printable_len(u + i, len - i)) == 0)
            return false;
        i += n;
    }
    return true;
}

/* Copies at most max bytes of s into b so that a terminal shows it safely:
 * control bytes and invalid UTF-8 become escapes. */
static void append_sanitized(struct strbuf *b, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < len; ) {
        size_t n;
        if (u[i] == '\r') {
            strbuf_append(b, "\\r", 2);
            i++;
        } else if (u[i] == '\n') {
            strbuf_append(b, "\\n", 2);
            i++;
        } else if (u[i] == '\t') {
            strbuf_append(b, "\\t", 2);
            i++;
        } else if (u[i] < 0x80 && !is_ctl(u[i])) {
            strbuf_append(b, &s[i], 1);
            i++;
        } else if (u[i] >= 0x80 && (n = utf8_printable_len(u + i, len - i)) > 0) {
            strbuf_append(b, &s[i], n);
            i += n;
        } else {
            strbuf_appendf(b, "\\x%02x", u[i]);
            i++;
        }
    }
}

/* The text around pos, bounded and sanitized, for an error message. */
static char *snippet(const char *elem, const char *pos, const char *end)
{
    struct strbuf b;
    const char *s = elem;
    const char *e;

    strbuf_init(&b, 0);
    if (pos > end)
        pos = end;
    if (pos - s > SNIPPET_BEFORE) {
        s = pos - SNIPPET_BEFORE;
        strbuf_append(&b, "...", 3);
    }
    e = (end - s > SNIPPET_MAX) ? s + SNIPPET_MAX : end;
    append_sanitized(&b, s, (size_t)(e - s));
    if (e < end)
        strbuf_append(&b, "...", 3);
    return strbuf_detach(&b, NULL);
}

static int lex_fail(struct lexer *lx, const char *pos, const char *reason)
{
    char *snip = snippet(lx->elem, pos, lx->end);
    mo_err_set(lx->err, EX_DATAERR, _("malformed address \"%s\": %s"), snip, reason);
    free(snip);
    return -1;
}

/* A line break is fine only as folding, i.e. followed by a space or tab;
 * anything else could start a new header line or SMTP command. On success
 * *pp points past the break. */
static int skip_line_break(struct lexer *lx, const char **pp)
{
    const char *p = *pp;

    if (*p == '\r') {
        if (p + 1 >= lx->end || p[1] != '\n')
            return lex_fail(lx, p, _("carriage return without line feed"));
        p++;
    }
    p++;
    if (p >= lx->end || !is_wsp(*p))
        return lex_fail(lx, *pp, _("line break not followed by whitespace"));
    *pp = p;
    return 0;
}

static int check_ctl(struct lexer *lx, const char *p)
{
    if (*p == '\0')
        return lex_fail(lx, p, _("NUL byte"));
    return lex_fail(lx, p, _("control character"));
}

/* A quoted-pair: backslash and one printable character or WSP. */
static int quoted_pair(struct lexer *lx, const char **pp)
{
    const char *p = *pp;

    if (p + 1 >= lx->end)
        return lex_fail(lx, p, _("backslash at the end"));
    if (is_ctl((unsigned char)p[1]) && p[1] != '\t')
        return check_ctl(lx, p + 1);
    *pp = p + 1;
    return 0;
}

/* The bytes comments and quoted strings treat alike: a quoted-pair, a line
 * break (folding) and a control character. Moves *pp to the last byte used. */
static int ctext_special(struct lexer *lx, const char **pp)
{
    unsigned char c = (unsigned char)**pp;

    if (c == '\\')
        return quoted_pair(lx, pp);
    if (c == '\r' || c == '\n')
        return skip_line_break(lx, pp);
    if (is_ctl(c) && c != '\t')
        return check_ctl(lx, *pp);
    return 0;
}

static int skip_comment(struct lexer *lx)
{
    const char *open = lx->p;
    const char *p = lx->p;
    int depth = 0;

    do {
        unsigned char c = (unsigned char)*p;
        if (c == '(') {
            if (++depth > ADDRESS_MAX_COMMENT_DEPTH)
                return lex_fail(lx, p, _("comments nested too deeply"));
        } else if (c == ')') {
            depth--;
        } else if (ctext_special(lx, &p) != 0) {
            return -1;
        }
        p++;
    } while (depth > 0 && p < lx->end);
    if (depth > 0)
        return lex_fail(lx, open, _("unterminated comment"));
    lx->p = p;
    return 0;
}

/* Skips whitespace, folding and comments; tells whether there were any. */
static int skip_cfws(struct lexer *lx, bool *any)
{
    *any = false;
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (is_wsp(c)) {
            lx->p++;
        } else if (c == '\r' || c == '\n') {
            if (skip_line_break(lx, &lx->p) != 0)
                return -1;
        } else if (c == '(') {
            if (skip_comment(lx) != 0)
                return -1;
        } else {
            return 0;
        }
        *any = true;
    }
    return 0;
}

static int add_byte(struct lexer *lx, struct tok *t, char c)
{
    if (strbuf_append(&t->val, &c, 1) != 0)
        return lex_fail(lx, t->at, _("too long"));
    return 0;
}

/* A domain literal holds dtext only (RFC 5322 3.4.1; SMTP's address
 * literals are narrower still); whitespace in it is dropped. */
static int literal_char(struct lexer *lx, struct tok *t, const char **pp)
{
    unsigned char c = (unsigned char)**pp;

    if (c == '\r' || c == '\n')
        return skip_line_break(lx, pp);
    if (is_wsp(c))
        return 0;
    if (is_ctl(c))
        return check_ctl(lx, *pp);
    if (c == '[')
        return lex_fail(lx, *pp, _("'[' inside a domain literal"));
    if (c == '\\' || c >= 0x7f)
        return lex_fail(lx, *pp, _("invalid character in a domain literal"));
    return add_byte(lx, t, (char)c);
}

/* Quoted strings and domain literals: text up to the closing character, with
 * quoted-pairs and folding undone. */
static int lex_delimited(struct lexer *lx, struct tok *t, char close)
{
    const char *p = lx->p + 1;

    for (; p < lx->end && *p != close; p++) {
        if (close == ']') {
            if (literal_char(lx, t, &p) != 0)
                return -1;
            continue;
        }
        if (ctext_special(lx, &p) != 0)
            return -1;
        if (add_byte(lx, t, *p) != 0)
            return -1;
    }
    if (p >= lx->end)
        return lex_fail(lx, t->at, close == '"' ? _("unterminated quoted string")
                                                : _("unterminated domain literal"));
    lx->p = p + 1;
    return 0;
}

/* Atoms here include dots: "Q." in a phrase, "a.b" in an addr-spec. */
static int lex_atom(struct lexer *lx, struct tok *t)
{
    const char *p = lx->p;

    while (p < lx->end && (is_atext((unsigned char)*p) || *p == '.'))
        p++;
    if (strbuf_append(&t->val, lx->p, (size_t)(p - lx->p)) != 0)
        return lex_fail(lx, t->at, _("too long"));
    lx->p = p;
    return 0;
}

static int lex_next(struct lexer *lx, struct tok *t)
{
    unsigned char c;

    strbuf_reset(&t->val);
    t->c = 0;
    if (skip_cfws(lx, &t->space_before) != 0)
        return -1;
    t->at = lx->p;
    if (lx->p >= lx->end) {
        t->kind = T_END;
        return 0;
    }
    c = (unsigned char)*lx->p;
    if (c == '"') {
        t->kind = T_QSTR;
        return lex_delimited(lx, t, '"');
    }
    if (c == '[') {
        t->kind = T_LITERAL;
        return lex_delimited(lx, t, ']');
    }
    if (is_ctl(c))
        return check_ctl(lx, lx->p);
    if (strchr("<>:;@,", c) != NULL) {
        t->kind = T_SPECIAL;
        t->c = (char)c;
        lx->p++;
        return 0;
    }
    if (c == ')')
        return lex_fail(lx, lx->p, _("unbalanced ')'"));
    if (c == ']')
        return lex_fail(lx, lx->p, _("unbalanced ']'"));
    if (c == '\\')
        return lex_fail(lx, lx->p, _("backslash outside quotes"));
    t->kind = T_ATOM;
    return lex_atom(lx, t);
}

static bool tok_is(const struct tok *t, char c)
{
    return t->kind == T_SPECIAL && t->c == c;
}

/* Looks at the next token without taking it. */
static int lex_peek(struct lexer *lx, struct tok *t)
{
    const char *saved = lx->p;
    int rc = lex_next(lx, t);
    lx->p = saved;
    return rc;
}

/* ------------------------------------------------------------ words */

/* The words of a phrase or local-part as read so far. */
struct words {
    struct strbuf phrase;   /* words joined by single spaces */
    struct strbuf local;    /* words joined as written, unquoted */
    size_t n;
    bool quoted;            /* some word was a quoted string */
    bool dotted;            /* every pair of words is joined by a dot */
    bool last_dot;          /* the last word was an atom ending in '.' */
};

/* Empties w for the next mailbox, keeping its buffers. */
static void words_reset(struct words *w)
{
    strbuf_reset(&w->phrase);
    strbuf_reset(&w->local);
    w->n = 0;
    w->quoted = false;
    w->dotted = true;
    w->last_dot = false;
}

static void words_init(struct words *w)
{
    strbuf_init(&w->phrase, ADDRESS_MAX_ITEM);
    strbuf_init(&w->local, ADDRESS_MAX_ITEM);
    words_reset(w);
}

static void words_free(struct words *w)
{
    strbuf_free(&w->phrase);
    strbuf_free(&w->local);
}

static int words_add(struct lexer *lx, struct words *w, const struct tok *t)
{
    const char *v = t->val.data ? t->val.data : "";
    size_t len = t->val.len;
    bool atom = t->kind == T_ATOM;
    int rc = 0;

    if (w->n > 0 && !w->last_dot && !(atom && v[0] == '.'))
        w->dotted = false;
    if (w->n > 0 && t->space_before)
        rc |= strbuf_append(&w->phrase, " ", 1);
    rc |= strbuf_append(&w->phrase, v, len);
    rc |= strbuf_append(&w->local, v, len);
    if (rc != 0)
        return lex_fail(lx, t->at, _("too long"));
    w->quoted |= !atom;
    w->last_dot = atom && len > 0 && v[len - 1] == '.';
    w->n++;
    return 0;
}

/* True if s is a dot-atom: atext runs separated by single dots. */
static bool is_dot_atom(const char *s, size_t len)
{
    if (len == 0 || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!is_atext((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* The local-part in the form SMTP needs: as is when it is a dot-atom, else
 * as a quoted string. */
static int local_part(struct lexer *lx, const struct words *w, const char *at,
                      struct strbuf *out)
{
    const char *s = w->local.data ? w->local.data : "";
    int rc = 0;

    if (w->n == 0)
        return lex_fail(lx, at, _("missing local part before '@'"));
    if (!w->dotted)
        return lex_fail(lx, at, _("unquoted space in an address, or a display name without <address>"));
    if (w->local.len == 0)
        return lex_fail(lx, at, _("empty local part"));
    /* SMTP has no way to carry a tab, even quoted (RFC 5321 4.1.2). */
    if (memchr(s, '\t', w->local.len) != NULL)
        return lex_fail(lx, at, _("tab in the local part"));
    if (is_dot_atom(s, w->local.len))
        return strbuf_append(out, s, w->local.len) == 0 ? 0
               : lex_fail(lx, at, _("too long"));
    rc |= strbuf_append(out, "\"", 1);
    for (size_t i = 0; i < w->local.len; i++) {
        if (s[i] == '"' || s[i] == '\\')
            rc |= strbuf_append(out, "\\", 1);
        rc |= strbuf_append(out, &s[i], 1);
    }
    rc |= strbuf_append(out, "\"", 1);
    return rc == 0 ? 0 : lex_fail(lx, at, _("too long"));
}

static bool valid_domain_atoms(const char *s, size_t len)
{
    if (len == 0 || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '.' && s[i + 1] == '.')
            return false;
    return true;
}

/* Reads a domain after '@': dot-separated atoms (spaces and comments allowed
 * around the dots, as the obsolete syntax does) or one domain literal. */
static int parse_domain(struct lexer *lx, struct tok *t, const char *at_sign,
                        struct strbuf *out)
{
    bool last_dot = false;
    size_t n = 0;
    size_t start = out->len;

    for (;;) {
        if (lex_peek(lx, t) != 0)
            return -1;
        if (t->kind == T_LITERAL && n == 0) {
            lex_next(lx, t);
            if (strbuf_appendf(out, "[%s]", t->val.data ? t->val.data : "") != 0)
                return lex_fail(lx, t->at, _("too long"));
            if (t->val.len == 0)
                return lex_fail(lx, t->at, _("empty domain literal"));
            return 0;
        }
        if (t->kind != T_ATOM)
            break;
        if (n > 0 && !last_dot && t->val.data[0] != '.')
            break;
        lex_next(lx, t);
        if (strbuf_append(out, t->val.data, t->val.len) != 0)
            return lex_fail(lx, t->at, _("too long"));
        last_dot = t->val.data[t->val.len - 1] == '.';
        n++;
    }
    if (t->kind == T_LITERAL)
        return lex_fail(lx, t->at, _("domain literal after a domain name"));
    if (n == 0) {
        return lex_fail(lx, t->at > at_sign ? t->at : at_sign + 1,
                        _("empty domain after '@'"));
    }
    if (!valid_domain_atoms(out->data + start, out->len - start))
        return lex_fail(lx, at_sign, _("empty label in domain (misplaced dot)"));
    return 0;
}

/* Obsolete source route "@a,@b:" before the addr-spec: read and dropped. */
static int skip_route(struct lexer *lx, struct tok *t)
{
    struct strbuf scratch;
    int rc = -1;

    strbuf_init(&scratch, ADDRESS_MAX_ITEM);
    for (;;) {
        const char *at = t->at;
        strbuf_reset(&scratch);
        if (parse_domain(lx, t, at, &scratch) != 0 || lex_next(lx, t) != 0)
            break;
        while (tok_is(t, ','))
            if (lex_next(lx, t) != 0)
                goto out;
        if (tok_is(t, ':')) {
            rc = 0;
            break;
        }
        if (!tok_is(t, '@')) {
            lex_fail(lx, t->at, _("malformed route (expected '@' or ':')"));
            break;
        }
    }
out:
    strbuf_free(&scratch);
    return rc;
}

/* ------------------------------------------------------------ parser */

struct parser {
    struct lexer lx;
    struct tok t;
    struct words w;
    struct strbuf addr;
    struct address_list *out;
    size_t cap;
    int mode;
    bool in_group;
    bool was_group;         /* a group was seen (MODE_ONE refuses it) */
};

static void push_mailbox(struct parser *ps, bool with_name)
{
    struct mailbox *m;

    if (ps->out->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 4;
        ps->out->items = xreallocarray(ps->out->items, ps->cap, sizeof *m);
    }
    m = &ps->out->items[ps->out->n++];
    m->display_name = (with_name && ps->w.phrase.len > 0)
                      ? xstrndup(ps->w.phrase.data, ps->w.phrase.len) : NULL;
    m->addr = xstrndup(ps->addr.data ? ps->addr.data : "", ps->addr.len);
}

/* The addr-spec (or bare local name) after the words already read; t holds
 * the token that ended the words. */
static int finish_addr_spec(struct parser *ps)
{
    struct lexer *lx = &ps->lx;
    const char *at = ps->t.at;

    strbuf_reset(&ps->addr);
    if (local_part(lx, &ps->w, at, &ps->addr) != 0)
        return -1;
    if (tok_is(&ps->t, '@')) {
        if (strbuf_append(&ps->addr, "@", 1) != 0)
            return lex_fail(lx, at, _("too long"));
        if (parse_domain(lx, &ps->t, at, &ps->addr) != 0)
            return -1;
        if (lex_next(lx, &ps->t) != 0)
            return -1;
    }
    /* 8-bit text in a display name may be legacy Latin-1 and is kept, but an
     * address that is not UTF-8 (RFC 6532) cannot be delivered anywhere. */
    if (!valid_utf8(ps->addr.data, ps->addr.len))
        return lex_fail(lx, at, _("8-bit bytes in the address that are not UTF-8"));
    return 0;
}

/* "<" [route] addr-spec ">", with the display name in ps->w. */
static int parse_angle(struct parser *ps)
{
    struct lexer *lx = &ps->lx;
    struct words name = ps->w;
    const char *open = ps->t.at;
    int rc = -1;

    words_init(&ps->w);
    if (lex_next(lx, &ps->t) != 0)
        goto out;
    if (tok_is(&ps->t, '>')) {
        if (ps->mode != MODE_ONE) {
            lex_fail(lx, open, _("empty address <>"));
            goto out;
        }
        strbuf_reset(&ps->addr);
    } else {
        if (tok_is(&ps->t, '@') && (skip_route(lx, &ps->t) != 0
                                    || lex_next(lx, &ps->t) != 0))
            goto out;
        while (ps->t.kind == T_ATOM || ps->t.kind == T_QSTR) {
            if (words_add(lx, &ps->w, &ps->t) != 0 || lex_next(lx, &ps->t) != 0)
                goto out;
        }
        if (finish_addr_spec(ps) != 0)
            goto out;
        if (!tok_is(&ps->t, '>')) {
            lex_fail(lx, ps->t.kind == T_END ? open : ps->t.at,
                     ps->t.kind == T_END ? _("unbalanced '<' (missing '>')")
                                         : _("unexpected text inside <...>"));
            goto out;
        }
    }
    words_free(&ps->w);
    ps->w = name;
    push_mailbox(ps, true);
    return lex_next(lx, &ps->t);
out:
    words_free(&ps->w);
    ps->w = name;
    return rc;
}

/* After a mailbox: a comma, the end, or ';' closing a group. */
static int after_mailbox(struct parser *ps)
{
    if (ps->t.kind == T_END || tok_is(&ps->t, ',')
            || (ps->in_group && tok_is(&ps->t, ';')))
        return 0;
    if (tok_is(&ps->t, '<'))
        return lex_fail(&ps->lx, ps->t.at, _("display name must come before <address>"));
    if (tok_is(&ps->t, '>'))
        return lex_fail(&ps->lx, ps->t.at, _("unbalanced '>'"));
    if (tok_is(&ps->t, ';'))
        return lex_fail(&ps->lx, ps->t.at, _("';' outside a group"));
    return lex_fail(&ps->lx, ps->t.at, _("expected ',' between addresses"));
}

static int start_group(struct parser *ps)
{
    if (ps->in_group)
        return lex_fail(&ps->lx, ps->t.at, _("group inside a group"));
    if (ps->w.n == 0)
        return lex_fail(&ps->lx, ps->t.at, _("group without a name before ':'"));
    ps->in_group = true;
    ps->was_group = true;
    return lex_next(&ps->lx, &ps->t);
}

/* One element of the list: a mailbox, a group's opening "name:", a group's
 * closing ";" or nothing (obsolete empty elements like "a, , b"). On return
 * ps->t holds the token after it. */
static int parse_element(struct parser *ps)
{
    struct lexer *lx = &ps->lx;

    words_reset(&ps->w);
    lx->elem = ps->t.at;
    while (ps->t.kind == T_ATOM || ps->t.kind == T_QSTR) {
        if (words_add(lx, &ps->w, &ps->t) != 0 || lex_next(lx, &ps->t) != 0)
            return -1;
    }
    if (ps->t.kind == T_LITERAL)
        return lex_fail(lx, ps->t.at, _("domain literal without '@'"));
    if (tok_is(&ps->t, ':'))
        return start_group(ps);
    if (tok_is(&ps->t, '<')) {
        if (parse_angle(ps) != 0)
            return -1;
        return after_mailbox(ps);
    }
    if (tok_is(&ps->t, '>'))
        return lex_fail(lx, ps->t.at, _("unbalanced '>'"));
    if (tok_is(&ps->t, ';') && !ps->in_group)
        return lex_fail(lx, ps->t.at, _("';' outside a group"));
    if (ps->w.n == 0 && !tok_is(&ps->t, '@'))
        return 0;
    if (finish_addr_spec(ps) != 0)
        return -1;
    push_mailbox(ps, false);
    return after_mailbox(ps);
}

static int parse_all(struct parser *ps)
{
    if (lex_next(&ps->lx, &ps->t) != 0)
        return -1;
    while (ps->t.kind != T_END) {
        if (parse_element(ps) != 0)
            return -1;
        if (tok_is(&ps->t, ';')) {
            /* Only reached inside a group (parse_element refuses it else). */
            ps->in_group = false;
            if (lex_next(&ps->lx, &ps->t) != 0)
                return -1;
            if (ps->t.kind != T_END && !tok_is(&ps->t, ','))
                return lex_fail(&ps->lx, ps->t.at, _("expected ',' after a group"));
        }
        if (tok_is(&ps->t, ',') && lex_next(&ps->lx, &ps->t) != 0)
            return -1;
    }
    /* A group missing its final ';' is accepted: its members are clear. */
    return 0;
}

static int parse(const char *text, size_t len, int mode,
                 struct address_list *out, bool *was_group, struct mo_err *err)
{
    struct parser ps;
    int rc;

    out->items = NULL;
    out->n = 0;
    if (len > ADDRESS_MAX_TEXT)
        return mo_err_set(err, EX_DATAERR,
                          _("address list too long (%zu bytes, at most %d)"),
                          len, ADDRESS_MAX_TEXT);
    /* A header value may keep its final line break; that is not injection. */
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'
                       || is_wsp(text[len - 1])))
        len--;
    memset(&ps, 0, sizeof ps);
    ps.lx.p = text;
    ps.lx.end = text + len;
    ps.lx.elem = text;
    ps.lx.err = err;
    ps.out = out;
    ps.mode = mode;
    strbuf_init(&ps.t.val, ADDRESS_MAX_ITEM);
    strbuf_init(&ps.addr, ADDRESS_MAX_ITEM);
    words_init(&ps.w);
    rc = parse_all(&ps);
    strbuf_free(&ps.t.val);
    strbuf_free(&ps.addr);
    words_free(&ps.w);
    if (was_group)
        *was_group = ps.was_group;
    if (rc != 0)
        address_list_free(out);
    return rc;
}

int address_list_parse(const char *text, size_t len, struct address_list *out,
                       struct mo_err *err)
{
    return parse(text, len, MODE_LIST, out, NULL, err);
}

int address_parse_one(const char *text, char **addr_out, struct mo_err *err)
{
    struct address_list l;
    size_t len = strlen(text);
    bool group = false;

    *addr_out = NULL;
    for (size_t i = 0; i < len; i++) {
        if (is_ctl((unsigned char)text[i])) {
            char *snip = snippet(text, text + i, text + len);
            mo_err_set(err, EX_DATAERR,
                       _("malformed address \"%s\": control character"), snip);
            free(snip);
            return -1;
        }
    }
    if (len > ADDRESS_MAX_ITEM) {
        char *snip = snippet(text, text, text + len);
        mo_err_set(err, EX_DATAERR, _("malformed address \"%s\": too long"), snip);
        free(snip);
        return -1;
    }
    if (parse(text, len, MODE_ONE, &l, &group, err) != 0)
        return -1;
    if (l.n == 0 && !group) {
        /* "", "  " and the null sender "<>" are handled by the caller. */
        *addr_out = xstrdup("");
        return 0;
    }
    if (l.n != 1 || group) {
        char *snip = snippet(text, text, text + len);
        mo_err_set(err, EX_DATAERR, group
                   ? _("malformed address \"%s\": a group where one address is expected")
                   : _("malformed address \"%s\": several addresses where one is expected"),
                   snip);
        free(snip);
        address_list_free(&l);
        return -1;
    }
    *addr_out = l.items[0].addr;
    l.items[0].addr = NULL;
    address_list_free(&l);
    return 0;
}

const char *address_domain(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;

    return at && at[1] ? at + 1 : NULL;
}

bool address_is_qualified(const char *addr)
{
    bool quoted = false;
    const char *at = NULL;

    for (const char *p = addr; *p; p++) {
        if (quoted && *p == '\\' && p[1] != '\0')
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == '@')
            at = p;
    }
    return at != NULL && at != addr && at[1] != '\0';
}

/* A phrase can go out bare when it is atoms separated by single spaces.
 * '.' is allowed only by the obsolete syntax, so it gets quotes too. */
static bool phrase_needs_quotes(const char *s)
{
    if (s[0] == '\0' || s[0] == ' ')
        return true;
    for (const char *p = s; *p; p++) {
        if (*p == ' ') {
            if (p[1] == ' ' || p[1] == '\0')
                return true;
        } else if (!is_atext((unsigned char)*p)) {
            return true;
        }
    }
    return false;
}

char *address_quote_phrase(const char *name)
{
    struct strbuf b;
    bool quote;

    if (name == NULL)
        return NULL;
    quote = phrase_needs_quotes(name);
    strbuf_init(&b, 0);
    if (quote)
        strbuf_append(&b, "\"", 1);
    for (const char *p = name; *p; p++) {
        /* Never let a line break or other control reach a header line. */
        char c = is_ctl((unsigned char)*p) ? ' ' : *p;
        if (c == '"' || c == '\\')
            strbuf_append(&b, "\\", 1);
        strbuf_append(&b, &c, 1);
    }
    if (quote)
        strbuf_append(&b, "\"", 1);
    return strbuf_detach(&b, NULL);
}

void address_list_free(struct address_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].display_name);
        free(l->items[i].addr);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

bool address_is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

int address_to_ascii(const char *addr, const char *server, char **out,
                     struct mo_err *err)
{
    const char *at = strrchr(addr, '@');
    size_t local_len = at ? (size_t)(at - addr) : strlen(addr);
    char *local = xstrndup(addr, local_len);
    bool local_ascii = address_is_ascii(local);

    free(local);
    *out = NULL;
    if (address_is_ascii(addr)) {
        *out = xstrdup(addr);
        return 0;
    }
    if (!local_ascii || at == NULL)
        return mo_err_set(err, EX_UNAVAILABLE,
                          _("the address %s has a non-ASCII local part but %s does not offer SMTPUTF8"),
                          addr, server);
#ifdef HAVE_LIBIDN2
    char *alabel = NULL;
    int rc = idn2_to_ascii_8z(at + 1, &alabel, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK)
        return mo_err_set(err, EX_DATAERR, _("the domain of %s cannot be converted to an A-label: %s"),
                          addr, idn2_strerror(rc));
    *out = xasprintf("%.*s@%s", (int)local_len, addr, alabel);
    idn2_free(alabel);
    return 0;
#else
    return mo_err_set(err, EX_UNAVAILABLE,
                      _("the address %s has a non-ASCII domain but %s does not offer SMTPUTF8 (mailout was built without libidn2 for A-labels)"),
                      addr, server);
#endif
}

bool address_equal(const char *a, const char *b)
{
    const char *at_a = strrchr(a, '@'), *at_b = strrchr(b, '@');

    if (at_a == NULL || at_b == NULL)
        return strcmp(a, b) == 0;
    return at_a - a == at_b - b && strncmp(a, b, (size_t)(at_a - a)) == 0
           && ascii_strcasecmp(at_a, at_b) == 0;
}
