/* conf.c - the INI configuration of mailout(1) CONFIGURATION, loaded with the system inih.
 *
 * Each file is read into memory first (size, NUL bytes and line length are
 * checked there) and handed to inih line by line through our own reader, so
 * that every message can name the file and line even though inih's handler
 * has no line number in Debian's header, and so that a section header is seen
 * even when the section has no keys. Sections are collected raw per file; a
 * section in a later file replaces the one of the same name from an earlier
 * file; [defaults] and inherit are resolved once every file is read. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "i18n.h"
#include "util.h"
#include "conf.h"
#include "conf_keys.h"
#include "fallback.h"

#define CONF_MAX_SIZE (1024 * 1024)     /* a config file is never this big */
#define CONF_MAX_LINE 4096

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* Debian's inih makes its compile-time options run-time variables. They are
 * weak here so that an inih without them still links; without them lines
 * are limited to inih's built-in maximum (200 bytes upstream). */
extern int ini_max_line __attribute__((weak));
extern int ini_initial_alloc __attribute__((weak));
extern bool ini_use_stack __attribute__((weak));
extern bool ini_allow_realloc __attribute__((weak));
extern bool ini_allow_multiline __attribute__((weak));

/* ------------------------------------------------------------ raw sections */

struct entry {
    char *key;
    char *value;
    int line;
};

struct section {
    enum sec_kind kind;
    char *name;             /* account name; NULL for [mailout], [defaults] */
    char *file;
    int line;
    struct entry *entries;
    size_t n_entries;
};

struct secset {
    struct section *v;
    size_t n;
};

struct loader {
    struct secset all;      /* the result of the files read so far */
    struct secset here;     /* sections of the file being read */
    struct section *cur;
    const char *file;
    const char *data;
    size_t len, pos;
    int line;
    int password_line;      /* a password key in this file, or 0 */
    bool failed;
    bool keep_going;        /* --check-config: record problems, go on */
    bool skip_keys;         /* keep_going: the current section was refused */
    bool skip_file;         /* keep_going: the rest of this file is not INI */
    struct config *cfg;     /* keep_going: where problems go */
    struct mo_err *err;
};

static void section_free(struct section *s)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        free(s->entries[i].key);
        secret_free(s->entries[i].value);   /* may be a password */
    }
    free(s->entries);
    free(s->name);
    free(s->file);
    memset(s, 0, sizeof *s);
}

static void secset_free(struct secset *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        section_free(&ss->v[i]);
    free(ss->v);
    ss->v = NULL;
    ss->n = 0;
}

static bool same_section(const struct section *a, enum sec_kind kind, const char *name)
{
    if (a->kind != kind)
        return false;
    return kind != SEC_ACCOUNT || strcmp(a->name, name) == 0;
}

static struct section *secset_find(struct secset *ss, enum sec_kind kind, const char *name)
{
    for (size_t i = 0; i < ss->n; i++)
        if (same_section(&ss->v[i], kind, name))
            return &ss->v[i];
    return NULL;
}

static const struct entry *section_get(const struct section *s, const char *key)
{
    for (size_t i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return &s->entries[i];
    return NULL;
}

/* ---------------------------------------------------------------- errors */

static void add_problem(struct loader *ld, char *text)
{
    struct config *c = ld->cfg;

    c->problems = xreallocarray(c->problems, c->n_problems + 1, sizeof *c->problems);
    c->problems[c->n_problems++] = text;
}

/* An error that is not at a line (a file that cannot be read): kept as a
 * problem when going on, else returned. */
static int fail_file(struct loader *ld)
{
    if (!ld->keep_going)
        return -1;
    add_problem(ld, xstrdup(ld->err->msg));
    return 0;
}

static int fail_at(struct loader *ld, const char *file, int line, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail_at(struct loader *ld, const char *file, int line, const char *key,
                   const char *fmt, ...)
{
    char why[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (ld->keep_going) {
        char *p = key != NULL ? xasprintf("%s:%d: %s: %s", file, line, key, why)
                              : xasprintf("%s:%d: %s", file, line, why);
        add_problem(ld, p);
        return -1;
    }
    ld->failed = true;
    if (key != NULL)
        return mo_err_set(ld->err, EX_CONFIG, "%s:%d: %s: %s", file, line, key, why);
    return mo_err_set(ld->err, EX_CONFIG, "%s:%d: %s", file, line, why);
}

/* ------------------------------------------------------------ parsing */

static const char *section_label(const struct section *s, char *buf, size_t n)
{
    if (s->kind == SEC_MAILOUT)
        return "[mailout]";
    if (s->kind == SEC_DEFAULTS)
        return "[defaults]";
    snprintf(buf, n, "[account %s]", s->name);
    return buf;
}

/* A "[...]" line: records the section before inih sees its keys. */
static int begin_section(struct loader *ld, const char *line)
{
    const char *end = strchr(line, ']');
    char name[CONF_MAX_LINE];
    enum sec_kind kind;
    const char *acct = NULL;
    size_t n;

    if (end == NULL)
        return fail_at(ld, ld->file, ld->line, NULL, "%s", _("syntax error: ']' missing"));
    for (const char *p = end + 1; *p && *p != '\n' && *p != '\r'; p++)
        if (*p != ' ' && *p != '\t') {
            if (*p == ';' || *p == '#')
                break;
            return fail_at(ld, ld->file, ld->line, NULL, "%s", _("syntax error: text after ']'"));
        }
    line++;
    while (*line == ' ' || *line == '\t')
        line++;
    n = (size_t)(end - line);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    memcpy(name, line, n);
    name[n] = '\0';
    if (strcmp(name, "mailout") == 0) {
        kind = SEC_MAILOUT;
    } else if (strcmp(name, "defaults") == 0) {
        kind = SEC_DEFAULTS;
    } else if (strncmp(name, "account", 7) == 0 && (name[7] == ' ' || name[7] == '\t')) {
        kind = SEC_ACCOUNT;
        for (acct = name + 8; *acct == ' ' || *acct == '\t'; acct++)
            ;
        if (!conf_valid_name(acct))
            return fail_at(ld, ld->file, ld->line, NULL,
                           _("bad account name '%s' (letters, digits, . _ - @ +; at most 64)"), acct);
    } else {
        return fail_at(ld, ld->file, ld->line, NULL,
                       _("unknown section [%s] (use [mailout], [defaults] or [account NAME])"), name);
    }
    if (secset_find(&ld->here, kind, acct) != NULL)
        return fail_at(ld, ld->file, ld->line, NULL,
                       _("section [%s] appears twice in this file"), name);
    ld->here.v = xreallocarray(ld->here.v, ld->here.n + 1, sizeof *ld->here.v);
    ld->cur = &ld->here.v[ld->here.n++];
    memset(ld->cur, 0, sizeof *ld->cur);
    ld->cur->kind = kind;
    ld->cur->name = acct ? xstrdup(acct) : NULL;
    ld->cur->file = xstrdup(ld->file);
    ld->cur->line = ld->line;
    ld->skip_keys = false;
    return 0;
}

/* msmtp's commands: a line starting with one of them and no '=' means the
 * file is in msmtp's syntax. */
static bool msmtp_word(const char *w, size_t n)
{
    static const char *const words[] = {
        "defaults", "account", "host", "port", "from", "auth", "user",
        "password", "passwordeval", "tls", "tls_starttls", "tls_trust_file",
        "tls_certcheck", "tls_fingerprint", "tls_key_file", "tls_cert_file",
        "tls_crl_file", "tls_host_override", "tls_min_dh_prime_bits",
        "tls_priorities", "logfile", "logfile_time_format", "syslog", "domain",
        "timeout", "protocol", "aliases", "maildomain", "dsn_notify",
        "dsn_return", "add_missing_from_header", "add_missing_date_header",
        "remove_bcc_headers", "undisclosed_recipients", "set_from_header",
        "allow_from_override", "auto_from", "eval", "source_ip", "proxy_host",
        "proxy_port", "socket", "ntlmdomain",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0)
            return true;
    return false;
}

/* A line that is neither blank, a comment, a section nor "key = value" (or
 * inih's "key: value"): the error names this very line, and says when it
 * is msmtp's syntax (an msmtp command before any [section]). The line's text is not quoted: it may be a password. */
static int check_syntax(struct loader *ld, const char *str)
{
    size_t n = strcspn(str, " \t\r\n=:");
    const char *p = str + n;

    if (*str == '\0' || strchr(";#[\r\n", *str) != NULL)
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (n > 0 && (*p == '=' || *p == ':'))
        return 0;
    if (ld->here.n == 0 && msmtp_word(str, n)) {
        char word[32];
        snprintf(word, sizeof word, "%.*s", (int)n, str);
        fail_at(ld, ld->file, ld->line, NULL,
                _("this looks like an msmtp file (\"%s\" without '='): convert it with mailout --import-msmtprc %s"),
                word, ld->file);
        ld->skip_file = true;
        return -1;
    }
    return fail_at(ld, ld->file, ld->line, NULL, "%s",
                   _("syntax error (expected key = value, a comment or [section])"));
}

/* inih's reader: one line per call, counted, leading blanks removed (so that
 * inih never sees a multi-line continuation), section headers noted. When
 * going on after errors, a bad line reaches inih as a blank one. */
static char *read_line(char *str, int num, void *stream)
{
    struct loader *ld = stream;
    const char *start, *nl;
    size_t n;

    if (ld->failed || ld->skip_file || ld->pos >= ld->len)
        return NULL;
    start = ld->data + ld->pos;
    nl = memchr(start, '\n', ld->len - ld->pos);
    n = nl ? (size_t)(nl - start) + 1 : ld->len - ld->pos;
    ld->pos += n;
    ld->line++;
    while (n > 0 && (*start == ' ' || *start == '\t')) {
        start++;
        n--;
    }
    if (num < 3 || n > CONF_MAX_LINE || n + 1 > (size_t)num) {
        fail_at(ld, ld->file, ld->line, NULL, _("line longer than %d bytes"),
                (num < CONF_MAX_LINE + 2 ? num - 2 : CONF_MAX_LINE));
        if (!ld->keep_going || num < 3)
            return NULL;
        str[0] = '\0';
        return str;
    }
    memcpy(str, start, n);
    str[n] = '\0';
    if (check_syntax(ld, str) != 0) {
        str[0] = '\0';
        return ld->keep_going && !ld->skip_file ? str : NULL;
    }
    if (str[0] == '[' && begin_section(ld, str) != 0) {
        if (!ld->keep_going)
            return NULL;
        ld->cur = NULL;     /* its keys are not checked against a wrong table */
        ld->skip_keys = true;
        str[0] = '\0';
    }
    return str;
}

/* A key that the current section does not take; an account's own key
 * (fallback, inherit) elsewhere is named as one. */
static int unknown_key(struct loader *ld, const char *name)
{
    char label[CONF_NAME_MAX + 16];
    const char *where = section_label(ld->cur, label, sizeof label);

    if (ld->cur->kind != SEC_ACCOUNT && conf_account_only_key(name))
        return fail_at(ld, ld->file, ld->line, name,
                       _("belongs in an account section ([account NAME]), not in %s: each account has its own"),
                       where);
    return fail_at(ld, ld->file, ld->line, name, _("unknown key in %s"), where);
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct loader *ld = user;
    const struct keydef *k;
    char why[512], label[CONF_NAME_MAX + 16];
    union conf_val v;

    (void)section;      /* ours is ld->cur, which inih cannot truncate */
    if (ld->failed)
        return 0;
    /* going on after an error, inih is told the line was fine */
    int bad = ld->keep_going ? 1 : 0;
    if (ld->skip_keys)
        return 1;
    if (ld->cur == NULL)
        return fail_at(ld, ld->file, ld->line, name, "%s",
                       _("key outside a section (start with [mailout], [defaults] or [account NAME])")), bad;
    k = conf_keydef(ld->cur->kind, name);
    if (k == NULL)
        return unknown_key(ld, name), bad;
    if (section_get(ld->cur, name) != NULL)
        return fail_at(ld, ld->file, ld->line, name, _("set twice in %s"),
                       section_label(ld->cur, label, sizeof label)), bad;
    if (conf_parse_value(k->type, value, &v, why, sizeof why) != 0)
        return fail_at(ld, ld->file, ld->line, name, "%s", why), bad;
    if (conf_is_string(k->type))
        secret_free(v.s);
    if (strcmp(name, "password") == 0)
        ld->password_line = ld->line;
    struct section *s = ld->cur;
    s->entries = xreallocarray(s->entries, s->n_entries + 1, sizeof *s->entries);
    s->entries[s->n_entries].key = xstrdup(name);
    s->entries[s->n_entries].value = xstrdup(value);
    s->entries[s->n_entries].line = ld->line;
    s->n_entries++;
    return 1;
}

/* Reads a whole file with its checks. Returns 1 read, 0 missing (and
 * missing_ok), -1 error. */
static int read_config_file(struct loader *ld, const char *path, bool missing_ok,
                            char **data, size_t *len, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        if (missing_ok && errno == ENOENT)
            return 0;
        return mo_err_set(ld->err, EX_CONFIG, _("cannot open %s: %s"), path, strerror(errno));
    }
    /* /dev/null is the usual way to say "no configuration" */
    if (fstat(fd, st) != 0
            || !(S_ISREG(st->st_mode) || (S_ISCHR(st->st_mode) && strcmp(path, "/dev/null") == 0))) {
        close(fd);
        return mo_err_set(ld->err, EX_CONFIG, _("%s is not a regular file"), path);
    }
    if (st->st_size > CONF_MAX_SIZE) {
        close(fd);
        return mo_err_set(ld->err, EX_CONFIG, _("%s is larger than %d bytes"), path, CONF_MAX_SIZE);
    }
    /* One buffer of the file's size, read in place: the text may hold a
     * password, and a growing buffer would leave copies of it behind. */
    size_t cap = (size_t)st->st_size + 1, n = 0;
    char *text = xmalloc(cap + 1);
    for (;;) {
        ssize_t r = read(fd, text + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (r > 0 && n + (size_t)r == cap)) {
            int e = errno;
            close(fd);
            OPENSSL_cleanse(text, cap + 1);
            free(text);
            return r < 0 ? mo_err_set(ld->err, EX_CONFIG, _("cannot read %s: %s"), path, strerror(e))
                         : mo_err_set(ld->err, EX_CONFIG, _("%s changed while it was read"), path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    text[n] = '\0';
    *data = text;
    *len = n;
    return 1;
}

static int check_nul(struct loader *ld, const char *data, size_t len)
{
    const char *nul = memchr(data, '\0', len);
    int line = 1;

    if (nul == NULL)
        return 0;
    for (const char *p = data; p < nul; p++)
        line += *p == '\n';
    return fail_at(ld, ld->file, line, NULL, "%s", _("NUL byte in the file"));
}

static void tune_inih(void)
{
    if (&ini_max_line != NULL && &ini_initial_alloc != NULL && &ini_use_stack != NULL
            && &ini_allow_realloc != NULL) {
        /* heap buffer of exactly this size: the reader is told its size */
        ini_use_stack = false;
        ini_allow_realloc = false;
        ini_max_line = CONF_MAX_LINE + 2;
        ini_initial_alloc = CONF_MAX_LINE + 2;
    }
    if (&ini_allow_multiline != NULL)
        ini_allow_multiline = false;
}

/* A later file replaces a section of an earlier one; the replacement takes
 * its place at the end, so that file order is account order. */
static void merge_file(struct loader *ld)
{
    for (size_t i = 0; i < ld->here.n; i++) {
        struct section *s = &ld->here.v[i];
        struct section *old = secset_find(&ld->all, s->kind, s->name);
        if (old != NULL) {
            size_t k = (size_t)(old - ld->all.v);
            section_free(old);
            memmove(old, old + 1, (ld->all.n - k - 1) * sizeof *old);
            ld->all.n--;
        }
        ld->all.v = xreallocarray(ld->all.v, ld->all.n + 1, sizeof *ld->all.v);
        ld->all.v[ld->all.n++] = *s;
    }
    free(ld->here.v);
    ld->here.v = NULL;
    ld->here.n = 0;
}

static void discard_file(struct loader *ld)
{
    secset_free(&ld->here);
}

/* Parses one file's text (NUL-terminated, len bytes) into ld->here. */
static int parse_text(struct loader *ld, const char *name, const char *data, size_t len)
{
    int rc;

    ld->file = name;
    ld->data = data;
    ld->len = len;
    ld->pos = 0;
    ld->line = 0;
    ld->cur = NULL;
    ld->password_line = 0;
    ld->skip_keys = ld->skip_file = false;
    if (check_nul(ld, data, len) != 0)
        return -1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        ld->pos = 3;    /* a UTF-8 byte order mark, which inih would skip */
    }
    tune_inih();
    rc = ini_parse_stream(read_line, ld, on_key, ld);
    if (ld->failed)
        return -1;
    if (rc == -2)
        return mo_err_set(ld->err, EX_OSERR, "%s", _("out of memory"));
    if (rc != 0 && !ld->keep_going)
        return fail_at(ld, name, rc, NULL, "%s",
                       _("syntax error (expected key = value, a comment or [section])"));
    return 0;
}

static int load_file(struct loader *ld, struct config *cfg, const char *path, bool missing_ok)
{
    char *data = NULL;
    size_t len = 0;
    struct stat st;
    int rc = read_config_file(ld, path, missing_ok, &data, &len, &st);

    if (rc < 0)
        return fail_file(ld) == 0 ? 0 : CONFIG_UNREADABLE;
    if (rc == 0)
        return 0;
    rc = parse_text(ld, path, data, len);
    OPENSSL_cleanse(data, len);     /* it may hold a password */
    free(data);
    if (rc != 0 && ld->keep_going && !ld->failed)
        rc = 0;     /* a NUL byte: reported; what came before it is checked */
    if (rc == 0 && ld->password_line != 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0
            && fail_at(ld, path, ld->password_line, "password",
                       _("this file holds a password and is readable by others; run chmod 600 %s"), path) != 0
            && !ld->keep_going)
        rc = -1;
    if (rc != 0) {
        discard_file(ld);
        return -1;
    }
    merge_file(ld);
    cfg->files = xreallocarray(cfg->files, cfg->n_files + 1, sizeof *cfg->files);
    cfg->files[cfg->n_files++] = xstrdup(path);
    return 0;
}

/* ------------------------------------------------------------ resolving */


/* The file name as kept in cfg->files, which outlives the sections. */
static const char *interned_file(const struct config *cfg, const char *file)
{
    for (size_t i = 0; i < cfg->n_files; i++)
        if (strcmp(cfg->files[i], file) == 0)
            return cfg->files[i];
    return NULL;
}

static void note_origin(const struct config *cfg, struct account *a, size_t k,
                        const struct section *s, int line)
{
    char label[CONF_NAME_MAX + 16];

    a->overridden[k] = a->origin[k];
    a->origin[k].file = interned_file(cfg, s->file);
    a->origin[k].line = line;
    snprintf(a->origin[k].section, sizeof a->origin[k].section, "%s",
             section_label(s, label, sizeof label));
}

/* Applies the section's values to base (a struct account or config); for an
 * account, notes where each value came from. inherited: s is [defaults] or
 * an inherit of the account, whose fallback is not the account's. */
static void apply_section(const struct config *cfg, void *base, struct account *a,
                          const struct section *s, bool inherited)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const struct keydef *k = conf_keydef(s->kind, s->entries[i].key);
        char why[512];
        union conf_val v;
        if (k == NULL || (inherited && k->type == V_FALLBACK)
            || conf_parse_value(k->type, s->entries[i].value, &v, why, sizeof why) != 0)
            continue;
        conf_store(base, k, &v);
        if (a != NULL && conf_account_key_index(k) >= 0)
            note_origin(cfg, a, (size_t)conf_account_key_index(k), s, s->entries[i].line);
    }
}

static int inherit_cycle(struct loader *ld, struct section **chain, size_t depth,
                         const struct section *again)
{
    const struct section *last = chain[depth - 1];
    const struct entry *e = section_get(last, "inherit");
    struct strbuf b;
    int rc;

    strbuf_init(&b, 0);
    for (size_t i = 0; i < depth; i++)
        strbuf_appendf(&b, "%s -> ", chain[i]->name);
    strbuf_appendf(&b, "%s", again->name);
    rc = fail_at(ld, last->file, e->line, "inherit", _("inherit cycle: %s"), b.data);
    strbuf_free(&b);
    return rc;
}

/* The inherit chain of s, root first, into chain[0..*n). */
static int inherit_chain(struct loader *ld, struct section *s,
                         struct section **chain, size_t *n)
{
    size_t depth = 0;

    for (struct section *cur = s; cur != NULL; ) {
        const struct entry *e = section_get(cur, "inherit");
        for (size_t i = 0; i < depth; i++)
            if (chain[i] == cur)
                return inherit_cycle(ld, chain, depth, cur);
        chain[depth++] = cur;
        if (e == NULL)
            break;
        struct section *next = secset_find(&ld->all, SEC_ACCOUNT, e->value);
        if (next == NULL)
            return fail_at(ld, cur->file, e->line, "inherit",
                           _("no account named '%s'"), e->value);
        cur = next;
    }
    for (size_t i = 0; i < depth / 2; i++) {
        struct section *t = chain[i];
        chain[i] = chain[depth - 1 - i];
        chain[depth - 1 - i] = t;
    }
    *n = depth;
    return 0;
}

/* mailout(1) OAUTH 2: what the built-in OAuth 2 needs besides its preset. The mechanism
 * of every preset is XOAUTH2 when auth is left at auto. */
static int check_oauth2(struct loader *ld, const struct section *s, struct account *a)
{
    const char *key = NULL, *why = NULL;

    if (a->oauth2_provider == OAUTH2_NONE)
        return 0;
    if (a->auth == AUTH_AUTO)
        a->auth = AUTH_XOAUTH2;
    if (a->auth != AUTH_XOAUTH2 && a->auth != AUTH_OAUTHBEARER)
        key = "auth", why = _("oauth2_provider needs auth = xoauth2 or oauthbearer");
    else if (a->oauth2_client_id == NULL)
        key = "oauth2_client_id", why = _("oauth2_provider needs your own oauth2_client_id (none is shipped; see mailout(1))");
    else if (a->user == NULL)
        key = "user", why = _("oauth2_provider needs user (the mailbox to log in as)");
    else if (a->oauth2_provider == OAUTH2_CUSTOM && a->oauth2_token_url == NULL)
        key = "oauth2_token_url", why = _("oauth2_provider = custom needs oauth2_token_url");
    else if (a->oauth2_provider == OAUTH2_CUSTOM && a->oauth2_scope == NULL)
        key = "oauth2_scope", why = _("oauth2_provider = custom needs oauth2_scope");
    if (key == NULL)
        return 0;
    return fail_at(ld, s->file, s->line, key, "[account %s]: %s", s->name, why);
}

static int build_account(struct loader *ld, struct section *s,
                         const struct section *defaults, struct account *a)
{
    struct section **chain = xcalloc(ld->all.n + 1, sizeof *chain);
    size_t n = 0;

    if (inherit_chain(ld, s, chain, &n) != 0) {
        free(chain);
        return -1;
    }
    conf_account_defaults(a);
    a->name = xstrdup(s->name);
    a->file = xstrdup(s->file);
    a->line = s->line;
    a->origin = xcalloc(conf_n_account_keys(), sizeof *a->origin);
    a->overridden = xcalloc(conf_n_account_keys(), sizeof *a->overridden);
    if (defaults != NULL)
        apply_section(ld->cfg, a, a, defaults, true);
    for (size_t i = 0; i < n; i++)
        apply_section(ld->cfg, a, a, chain[i], i + 1 < n);
    free(chain);
    if (a->host == NULL)
        return fail_at(ld, s->file, s->line, "host",
                       _("[account %s] has no host (required)"), s->name);
    return check_oauth2(ld, s, a);
}

char *config_state_dir(void)
{
    const char *state = getenv("XDG_STATE_HOME");

    /* the XDG base directory rules: a relative value is ignored */
    if (state != NULL && state[0] == '/')
        return xasprintf("%s/mailout", state);
    if (geteuid() == 0)
        return xstrdup("/var/lib/mailout");
    return home_path(".local/state/mailout");
}

char *config_default_queue_dir(void)
{
    char *state, *q;

    if (geteuid() == 0)         /* next to incoming/ (mailout(1) QUEUE) */
        return xstrdup(SPOOLDIR "/queue");
    state = config_state_dir();
    q = xasprintf("%s/queue", state);
    free(state);
    return q;
}

struct fallback_ctx {
    struct loader *ld;
    struct section **secs;
    int rc;
};

static void fallback_problem(void *ctx, size_t i, const char *why)
{
    struct fallback_ctx *c = ctx;
    const struct entry *e = section_get(c->secs[i], "fallback");

    if (c->rc == 0 || c->ld->keep_going)
        c->rc = fail_at(c->ld, c->secs[i]->file, e->line, "fallback", "%s", why);
}

/* Each account's own fallback list (it is not inherited): accounts that
 * exist, not itself, no cycle. */
static int check_fallbacks(struct loader *ld)
{
    struct section **secs = xcalloc(ld->all.n + 1, sizeof *secs);
    const char **names = xcalloc(ld->all.n + 1, sizeof *names);
    const char **lists = xcalloc(ld->all.n + 1, sizeof *lists);
    struct fallback_ctx c = { ld, secs, 0 };
    size_t n = 0;

    for (size_t i = 0; i < ld->all.n; i++) {
        const struct entry *e = section_get(&ld->all.v[i], "fallback");
        if (ld->all.v[i].kind != SEC_ACCOUNT)
            continue;
        secs[n] = &ld->all.v[i];
        names[n] = secs[n]->name;
        lists[n] = e != NULL ? e->value : NULL;
        n++;
    }
    fallback_check(names, lists, n, fallback_problem, &c);
    free(lists);
    free(names);
    free(secs);
    return ld->keep_going ? 0 : c.rc;
}

static int build_config(struct loader *ld, struct config *cfg)
{
    const struct section *defaults = secset_find(&ld->all, SEC_DEFAULTS, NULL);
    const struct section *mo = secset_find(&ld->all, SEC_MAILOUT, NULL);
    size_t n = 0;

    if (mo != NULL)
        apply_section(cfg, cfg, NULL, mo, false);
    if (cfg->queue_dir == NULL)
        cfg->queue_dir = config_default_queue_dir();
    /* root logs to syslog (facility mail) unless told otherwise (mailout(1) LOG) */
    if (geteuid() == 0 && cfg->logfile == NULL
            && (mo == NULL || section_get(mo, "syslog") == NULL))
        cfg->syslog = true;
    if (cfg->message_size_limit == 0)
        cfg->message_size_limit = CONF_DEFAULT_SIZE_LIMIT;
    if (check_fallbacks(ld) != 0)
        return -1;
    for (size_t i = 0; i < ld->all.n; i++)
        n += ld->all.v[i].kind == SEC_ACCOUNT;
    cfg->accounts = xcalloc(n ? n : 1, sizeof *cfg->accounts);
    for (size_t i = 0; i < ld->all.n; i++) {
        struct section *s = &ld->all.v[i];
        if (s->kind != SEC_ACCOUNT)
            continue;
        if (build_account(ld, s, defaults, &cfg->accounts[cfg->n_accounts]) != 0) {
            conf_account_free(&cfg->accounts[cfg->n_accounts]);
            if (ld->keep_going)
                continue;       /* reported; the others are still checked */
            return -1;
        }
        cfg->n_accounts++;
    }
    if (mo != NULL && cfg->default_account != NULL
            && secset_find(&ld->all, SEC_ACCOUNT, cfg->default_account) == NULL) {
        const struct entry *e = section_get(mo, "default_account");
        if (fail_at(ld, mo->file, e ? e->line : mo->line, "default_account",
                    _("no account named '%s'"), cfg->default_account) != 0 && !ld->keep_going)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ public */

const char *config_system_path(void)
{
    return SYSCONFDIR "/mailout.ini";
}

char *config_user_path(void)
{
    const char *env = getenv("MAILOUT_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME");

    if (env != NULL && env[0] != '\0')
        return xstrdup(env);
    if (xdg != NULL && xdg[0] == '/')
        return xasprintf("%s/mailout/config.ini", xdg);
    return home_path(".config/mailout/config.ini");
}

static int load_all(struct loader *ld, struct config *cfg, const char *explicit_file)
{
    if (explicit_file != NULL)
        return load_file(ld, cfg, explicit_file, false);
    /* A user other than root with a configuration of their own does not
     * need the system file, which holds root's password (mailout(1) REPLACING THE LOCAL MTA). */
    int rc = 0;

    if (!(geteuid() != 0 && access(config_system_path(), R_OK) != 0 && errno == EACCES)
            && (rc = load_file(ld, cfg, config_system_path(), true)) != 0)
        return rc;
    /* $MAILOUT_CONFIG names a file on purpose: it must exist. */
    const char *env = getenv("MAILOUT_CONFIG");
    char *user = config_user_path();
    rc = load_file(ld, cfg, user, env == NULL || env[0] == '\0');
    free(user);
    return rc;
}

static int finish_load(struct loader *ld, struct config *cfg, int rc)
{
    if (rc == 0)
        rc = build_config(ld, cfg);
    secset_free(&ld->all);
    secset_free(&ld->here);
    if (rc != 0)
        config_free(cfg);
    return rc;
}

int config_load(struct config *cfg, const char *explicit_file, struct mo_err *err)
{
    struct loader ld;

    memset(cfg, 0, sizeof *cfg);
    memset(&ld, 0, sizeof ld);
    ld.err = err;
    ld.cfg = cfg;
    return finish_load(&ld, cfg, load_all(&ld, cfg, explicit_file));
}

int config_check_load(struct config *cfg, const char *explicit_file, struct mo_err *err)
{
    struct loader ld;

    memset(cfg, 0, sizeof *cfg);
    memset(&ld, 0, sizeof ld);
    ld.err = err;
    ld.cfg = cfg;
    ld.keep_going = true;
    return finish_load(&ld, cfg, load_all(&ld, cfg, explicit_file));
}

int conf_load_files(struct config *cfg, const char *const *paths, size_t n,
                    struct mo_err *err)
{
    struct loader ld;
    int rc = 0;

    memset(cfg, 0, sizeof *cfg);
    memset(&ld, 0, sizeof ld);
    ld.err = err;
    ld.cfg = cfg;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = load_file(&ld, cfg, paths[i], false);
    return finish_load(&ld, cfg, rc);
}

int conf_load_from_string(struct config *cfg, const char *name, const char *text,
                          struct mo_err *err)
{
    struct loader ld;
    int rc;

    memset(cfg, 0, sizeof *cfg);
    memset(&ld, 0, sizeof ld);
    ld.err = err;
    ld.cfg = cfg;
    rc = parse_text(&ld, name, text, strlen(text));
    if (rc == 0) {
        merge_file(&ld);
        cfg->files = xreallocarray(cfg->files, 1, sizeof *cfg->files);
        cfg->files[cfg->n_files++] = xstrdup(name);
    }
    return finish_load(&ld, cfg, rc);
}

bool config_from_matches(const char *pattern, const char *addr)
{
    const char *at;
    size_t n;

    if (pattern == NULL || addr == NULL)
        return false;
    n = strlen(addr);
    if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
        addr++;
        n -= 2;
    }
    if (pattern[0] == '*' && pattern[1] == '@') {
        at = memrchr(addr, '@', n);
        return at != NULL && at != addr
            && strlen(pattern + 2) == n - (size_t)(at + 1 - addr)
            && ascii_strncasecmp(pattern + 2, at + 1, n - (size_t)(at + 1 - addr)) == 0;
    }
    return strlen(pattern) == n && ascii_strncasecmp(pattern, addr, n) == 0;
}

const struct account *config_find_account(const struct config *cfg, const char *name,
                                          size_t len)
{
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (strlen(cfg->accounts[i].name) == len && memcmp(cfg->accounts[i].name, name, len) == 0)
            return &cfg->accounts[i];
    return NULL;
}

const struct account *config_select_account(const struct config *cfg,
        const char *name, const char *sender, struct mo_err *err)
{
    const struct account *a;

    if (name != NULL) {
        if ((a = config_find_account(cfg, name, strlen(name))) == NULL)
            mo_err_set(err, EX_CONFIG, _("no account named '%s' in the configuration"), name);
        return a;
    }
    if (sender != NULL && sender[0] != '\0')
        for (size_t i = 0; i < cfg->n_accounts; i++)
            if (config_from_matches(cfg->accounts[i].from, sender))
                return &cfg->accounts[i];
    if (cfg->default_account != NULL
        && (a = config_find_account(cfg, cfg->default_account,
                                    strlen(cfg->default_account))) != NULL)
        return a;
    if (cfg->n_accounts == 1)
        return &cfg->accounts[0];
    if (cfg->n_accounts == 0) {
        mo_err_set(err, EX_CONFIG, _("no account configured (looked in %s and the user file; see mailout --version)"),
                   config_system_path());
        return NULL;
    }
    mo_err_set(err, EX_CONFIG, "%s",
               _("no account fits: use -a NAME, set default_account in [mailout], or a from that matches the sender"));
    return NULL;
}

int account_port(const struct account *a)
{
    if (a->port != 0)
        return a->port;
    if (a->protocol == PROTO_LMTP)
        return 24;
    switch (a->tls) {
    case TLS_IMPLICIT: return 465;
    case TLS_OFF: return 25;
    default: return 587;
    }
}

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n_accounts; i++)
        conf_account_free(&cfg->accounts[i]);
    free(cfg->accounts);
    for (size_t i = 0; i < cfg->n_files; i++)
        free(cfg->files[i]);
    free(cfg->files);
    for (size_t i = 0; i < cfg->n_problems; i++)
        free(cfg->problems[i]);
    free(cfg->problems);
    free(cfg->default_account);
    free(cfg->aliases);
    free(cfg->logfile);
    free(cfg->queue_dir);
    free(cfg->qualify_domain);
    memset(cfg, 0, sizeof *cfg);
}
