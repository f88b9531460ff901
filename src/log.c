/* log.c - the one-line-per-message log of mailout(1) LOG, to a file or syslog.
 *
 * Values come from the network (the server's reply) and from the message
 * (addresses), so every value that is not a plain token is quoted and
 * escaped: a reply can never start a new log line or fake a field. Valid
 * UTF-8 stays readable; controls and invalid bytes are escaped. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "log.h"

#define VALUE_MAX 1000      /* longer values (a reply) are cut, marked "..." */
#define LINE_MAX_LEN (1024 * 1024)

static bool plain_char(unsigned char c)
{
    return c > ' ' && c < 0x7f && c != '\'' && c != '\\';
}

/* Bytes of the character at v[i] that stay as they are: a plain ASCII
 * character, or a printable UTF-8 sequence (readable, as the addresses
 * and replies were written); 0 for a byte to escape. */
static size_t kept_len(const char *v, size_t i, size_t n)
{
    const unsigned char *u = (const unsigned char *)v + i;

    if (*u < 0x80)
        return plain_char(*u) || *u == ' ' ? 1 : 0;
    return utf8_printable_len(u, n - i);
}

/* Appends v: as it is when every character is plain (ASCII without quotes,
 * backslashes or spaces, or printable UTF-8), else in single quotes with
 * \\, \' and \xHH escapes for quotes, controls and bytes that are not
 * valid UTF-8. */
static void append_value(struct strbuf *b, const char *v, bool always_quote)
{
    size_t n = strlen(v), k;
    bool quote = always_quote || n == 0;

    for (size_t i = 0; i < n && !quote; i += k)
        quote = (k = kept_len(v, i, n)) == 0 || v[i] == ' ';
    if (!quote) {
        strbuf_append(b, v, n);
        return;
    }
    strbuf_append(b, "'", 1);
    for (size_t i = 0; i < n; i += k) {
        unsigned char c = (unsigned char)v[i];
        if (i >= VALUE_MAX) {
            strbuf_append(b, "...", 3);
            break;
        }
        if ((k = kept_len(v, i, n)) > 0)
            strbuf_append(b, &v[i], k);
        else if (c == '\'' || c == '\\')
            strbuf_appendf(b, "\\%c", c);
        else
            strbuf_appendf(b, "\\x%02X", c);
        if (k == 0)
            k = 1;
    }
    strbuf_append(b, "'", 1);
}

static void field(struct strbuf *b, const char *name, const char *v, bool quote)
{
    strbuf_appendf(b, " %s=", name);
    append_value(b, v, quote);
}

/* "Nov 22 15:47:20", with English month names whatever the locale. */
static void append_stamp(struct strbuf *b)
{
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t now = time(NULL);
    struct tm tm;

    if (localtime_r(&now, &tm) == NULL)
        memset(&tm, 0, sizeof tm);
    strbuf_appendf(b, "%s %02d %02d:%02d:%02d", mon[tm.tm_mon % 12], tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void complain_once(const char *path, const char *why)
{
    static bool told;

    if (told)
        return;
    told = true;
    fprintf(stderr, _("mailout: cannot write the log %s: %s\n"), path, why);
}

/* The log is opened by name, often in a directory others can write to: a
 * symbolic link or a file of someone else planted there is not followed
 * (O_NOFOLLOW), not written (owner check), and a FIFO does not block us. */
static int open_log(const char *path)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW
                  | O_NONBLOCK, 0600);

    if (fd < 0) {
        complain_once(path, errno == ELOOP ? _("it is a symbolic link") : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        complain_once(path, _("not a regular file of this user"));
        close(fd);
        return -1;
    }
    return fd;
}

static char *parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL || slash == path)
        return NULL;
    return xstrndup(path, (size_t)(slash - path));
}

/* One write() of the whole line, so that lines of concurrent runs never mix. */
static void append_to_file(const char *path, const char *line, size_t len)
{
    char *dir = parent_dir(path);
    int fd;

    if (dir != NULL && access(dir, F_OK) != 0)
        mkdir_p(dir, 0700);
    free(dir);
    fd = open_log(path);
    if (fd < 0)
        return;
    for (size_t off = 0; off < len; ) {
        ssize_t w = write(fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            complain_once(path, strerror(w < 0 ? errno : EIO));
            break;
        }
        off += (size_t)w;
    }
    if (close(fd) != 0)
        complain_once(path, strerror(errno));
}

/* body is the line without its time stamp; syslog adds its own. */
static void emit(const struct config *cfg, const char *body, bool failed)
{
    if (cfg == NULL)
        return;
    if (cfg->logfile != NULL) {
        struct strbuf b;
        strbuf_init(&b, LINE_MAX_LEN);
        append_stamp(&b);
        strbuf_appendf(&b, " %s\n", body);
        if (b.data != NULL)
            append_to_file(cfg->logfile, b.data, b.len);
        strbuf_free(&b);
    }
    if (cfg->syslog) {
        openlog("mailout", LOG_PID, LOG_MAIL);
        syslog(failed ? LOG_ERR : LOG_INFO, "%s", body);
        closelog();
    }
}

static void append_rcpts(struct strbuf *b, const char *const *rcpts, size_t n)
{
    struct strbuf list;

    strbuf_init(&list, 0);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strbuf_append(&list, ",", 1);
        strbuf_append(&list, rcpts[i], strlen(rcpts[i]));
    }
    field(b, "recipients", list.data ? list.data : "", false);
    strbuf_free(&list);
}

void log_delivery(const struct config *cfg, const struct log_record *r)
{
    struct strbuf b;

    if (cfg == NULL || (cfg->logfile == NULL && !cfg->syslog))
        return;
    strbuf_init(&b, LINE_MAX_LEN);
    strbuf_appendf(&b, "host=");
    append_value(&b, r->host ? r->host : "", false);
    if (r->account != NULL)
        field(&b, "account", r->account, false);
    strbuf_appendf(&b, " tls=%s auth=%s", r->tls ? "on" : "off", r->auth ? "on" : "off");
    if (r->auth && r->user != NULL)     /* the login that was used, if any */
        field(&b, "user", r->user, false);
    if (r->uid_name != NULL)
        field(&b, "uid", r->uid_name, false);
    if (r->from != NULL)
        field(&b, "from", r->from[0] ? r->from : "<>", false);
    append_rcpts(&b, r->rcpts, r->rcpts ? r->n_rcpts : 0);
    strbuf_appendf(&b, " mailsize=%llu", (unsigned long long)r->mailsize);
    if (r->smtpstatus != 0)
        strbuf_appendf(&b, " smtpstatus=%d", r->smtpstatus);
    if (r->smtpmsg != NULL)
        field(&b, "smtpmsg", r->smtpmsg, true);
    strbuf_appendf(&b, " exitcode=%s", mo_exit_name(r->exitcode));
    if (b.data != NULL)
        emit(cfg, b.data, r->exitcode != EX_OK);
    strbuf_free(&b);
}

void log_queue_event(const struct config *cfg, const char *event,
                     const char *id, const char *reason)
{
    log_queue_event_uid(cfg, event, id, NULL, reason);
}

/* event=ID [uid=NAME] [reason='...'] [bounced=ID] */
static void queue_event(const struct config *cfg, const char *event, const char *id,
                        const char *uid_name, const char *reason, const char *bounced)
{
    struct strbuf b;

    if (cfg == NULL || (cfg->logfile == NULL && !cfg->syslog) || event == NULL)
        return;
    strbuf_init(&b, LINE_MAX_LEN);
    append_value(&b, event, false);
    strbuf_append(&b, "=", 1);
    append_value(&b, id ? id : "", false);
    if (uid_name != NULL)
        field(&b, "uid", uid_name, false);
    if (reason != NULL)
        field(&b, "reason", reason, true);
    if (bounced != NULL)
        field(&b, "bounced", bounced, false);
    if (b.data != NULL)
        emit(cfg, b.data, strcmp(event, "failed") == 0 || strcmp(event, "refused") == 0);
    strbuf_free(&b);
}

void log_queue_event_uid(const struct config *cfg, const char *event,
                         const char *id, const char *uid_name, const char *reason)
{
    queue_event(cfg, event, id, uid_name, reason, NULL);
}

void log_queue_failed_uid(const struct config *cfg, const char *id, const char *uid_name,
                          const char *reason, const char *bounce_id)
{
    queue_event(cfg, "failed", id, uid_name, reason, bounce_id);
}

void log_queue_failed(const struct config *cfg, const char *id, const char *reason,
                      const char *bounce_id)
{
    queue_event(cfg, "failed", id, NULL, reason, bounce_id);
}
