/* secrets.c - the account's password from the sources of mailout(1)
 * PASSWORDS, in order: password, password_command, the keyring, ~/.netrc, a
 * prompt on /dev/tty.
 * Every buffer that held a secret is wiped; the process stops being dumpable
 * before it holds one. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "keyring.h"
#include "oauth2.h"
#include "oauth2_store.h"
#include "secrets.h"

#define PWCMD_MAX_OUTPUT (64 * 1024)
#define NETRC_MAX_SIZE (1024 * 1024)
#define PROMPT_MAX 1024

static const char *acct_name(const struct account *a)
{
    return a->name ? a->name : "?";
}

/* Core dumps and ptrace by other processes of the same user could read the
 * secret; the process never needs to be dumpable again. */
static void stop_being_dumpable(void)
{
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* ------------------------------------------------------ password_command */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: stdout to the pipe, stdin from /dev/null (it must not eat
 * the message), stderr passes through, no other descriptor leaks. */
static void exec_child(const char *cmd, int out_fd)
{
    struct sigaction sa;
    sigset_t none;
    int null_fd = open("/dev/null", O_RDONLY);
    long max_fd = sysconf(_SC_OPEN_MAX);

    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
        _exit(127);
    if (max_fd < 0 || max_fd > 65536)
        max_fd = 65536;
    for (long fd = 3; fd < max_fd; fd++)
        close((int)fd);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
}

/* Reads the child's stdout until EOF, the size bound or the deadline.
 * Returns 0, or 1 on overflow, 2 on timeout, -1 on a read error. */
static int read_bounded(int fd, char *buf, size_t max, size_t *len, long deadline)
{
    *len = 0;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        long left = deadline - now_ms();
        ssize_t n;

        if (left <= 0)
            return 2;
        if (poll(&p, 1, (int)(left > 1000000 ? 1000000 : left)) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (p.revents == 0)
            continue;
        n = read(fd, buf + *len, max + 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        *len += (size_t)n;
        if (*len > max)
            return 1;
    }
}

/* Waits for the child until the deadline; kills it past that. */
static int wait_child(pid_t pid, int *status, long deadline)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            return 2;
        }
        struct timespec ts = { 0, 10 * 1000000 };
        nanosleep(&ts, NULL);
    }
}

static int pwcmd_status_error(const struct account *a, const char *key, int status,
                              struct mo_err *err)
{
    if (WIFEXITED(status) && (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127))
        return mo_err_set(err, EX_CONFIG, _("account %s: %s could not be run (exit status %d)"),
                          acct_name(a), key, WEXITSTATUS(status));
    if (WIFEXITED(status))
        return mo_err_set(err, EX_TEMPFAIL, _("account %s: %s failed (exit status %d)"),
                          acct_name(a), key, WEXITSTATUS(status));
    return mo_err_set(err, EX_TEMPFAIL, _("account %s: %s was killed by signal %d"),
                      acct_name(a), key, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* How the command ended, as an error: true (err filled) unless it exited 0
 * in time with output that fits. rd/wr: read_bounded's and wait_child's. */
static bool command_failed(const struct account *a, const char *key, int rd, int wr,
                           int status, int timeout, struct mo_err *err)
{
    if (rd == 2 || wr == 2)
        mo_err_set(err, EX_TEMPFAIL, _("account %s: %s timed out after %d s"),
                   acct_name(a), key, timeout);
    else if (rd == 1)
        mo_err_set(err, EX_CONFIG, _("account %s: %s printed more than %d bytes"),
                   acct_name(a), key, PWCMD_MAX_OUTPUT);
    else if (rd < 0 || wr < 0)
        mo_err_set(err, EX_OSERR, _("account %s: %s: %s"), acct_name(a), key, strerror(errno));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        pwcmd_status_error(a, key, status, err);
    else
        return false;
    return true;
}

/* The secret is the output less one trailing newline: neither empty nor
 * holding a NUL byte. */
static int take_output(const struct account *a, const char *key, char *buf, size_t len,
                       char **out, struct mo_err *err)
{
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    if (memchr(buf, '\0', len) != NULL)
        return mo_err_set(err, EX_CONFIG, _("account %s: %s printed a NUL byte"), acct_name(a), key);
    if (len == 0)
        return mo_err_set(err, EX_CONFIG, _("account %s: %s printed nothing"), acct_name(a), key);
    *out = xstrndup(buf, len);
    return 0;
}

int secret_command(const struct account *a, const char *key, const char *cmd,
                   char **out, struct mo_err *err)
{
    int timeout = a->timeout > 0 ? a->timeout : 60;
    long deadline = now_ms() + 1000L * timeout;
    char *buf = xmalloc(PWCMD_MAX_OUTPUT + 2);
    size_t len = 0;
    int pfd[2], status = 0, rd, wr, rc;
    pid_t pid;

    if (pipe(pfd) != 0) {
        free(buf);
        return mo_err_set(err, EX_OSERR, _("account %s: %s: cannot create a pipe: %s"),
                          acct_name(a), key, strerror(errno));
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pfd[0]);
        close(pfd[1]);
        free(buf);
        return mo_err_set(err, EX_OSERR, _("account %s: %s: cannot fork: %s"),
                          acct_name(a), key, strerror(e));
    }
    if (pid == 0) {
        close(pfd[0]);
        exec_child(cmd, pfd[1]);
    }
    close(pfd[1]);
    rd = read_bounded(pfd[0], buf, PWCMD_MAX_OUTPUT, &len, deadline);
    if (rd != 0)
        kill(pid, SIGKILL);
    close(pfd[0]);
    wr = wait_child(pid, &status, deadline);
    buf[len < PWCMD_MAX_OUTPUT + 1 ? len : PWCMD_MAX_OUTPUT + 1] = '\0';

    rc = command_failed(a, key, rd, wr, status, timeout, err) ? -1
         : take_output(a, key, buf, len, out, err);
    OPENSSL_cleanse(buf, PWCMD_MAX_OUTPUT + 2);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- netrc */

struct netrc_cur { const char *p, *end; };

/* The next token (quoted with "..." and \-escapes, or a bare word) into buf;
 * false at the end. Too-long tokens are cut (they cannot match anyway). */
static bool netrc_token(struct netrc_cur *c, char *buf, size_t size)
{
    size_t o = 0;

    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'
                             || *c->p == '\r' || *c->p == ','))
        c->p++;
    if (c->p >= c->end)
        return false;
    if (*c->p == '"') {
        c->p++;
        while (c->p < c->end && *c->p != '"') {
            if (*c->p == '\\' && c->p + 1 < c->end)
                c->p++;
            if (o + 1 < size)
                buf[o++] = *c->p;
            c->p++;
        }
        if (c->p < c->end)
            c->p++;
    } else {
        while (c->p < c->end && *c->p != ' ' && *c->p != '\t' && *c->p != '\n'
               && *c->p != '\r') {
            if (o + 1 < size)
                buf[o++] = *c->p;
            c->p++;
        }
    }
    buf[o] = '\0';
    return true;
}

static void netrc_skip_macdef(struct netrc_cur *c)
{
    while (c->p < c->end && *c->p != '\n')     /* the rest of the macdef line */
        c->p++;
    while (c->p + 1 < c->end && !(c->p[0] == '\n' && c->p[1] == '\n'))
        c->p++;
    c->p = c->p + 1 < c->end ? c->p + 2 : c->end;
}

struct netrc_entry {
    bool active;        /* a machine entry for our host, or default */
    bool have_login, have_password;
    char login[512];
    char password[PROMPT_MAX];
};

static bool netrc_entry_fits(const struct netrc_entry *e, const char *user)
{
    return e->active && e->have_password
           && (!e->have_login || (user && strcmp(e->login, user) == 0));
}

/* First machine entry for host (or else default) whose login is user or
 * absent. 1 found, 0 not. */
static int netrc_find(const char *text, size_t len, const char *host,
                      const char *user, char **out)
{
    struct netrc_cur c = { text, text + len };
    struct netrc_entry e;
    char tok[PROMPT_MAX];
    int found = 0;

    memset(&e, 0, sizeof e);
    for (;;) {
        bool more = netrc_token(&c, tok, sizeof tok);
        if (!more || strcmp(tok, "machine") == 0 || strcmp(tok, "default") == 0) {
            if (netrc_entry_fits(&e, user)) {
                *out = xstrdup(e.password);
                found = 1;
                break;
            }
            if (!more)
                break;
            OPENSSL_cleanse(&e, sizeof e);
            if (strcmp(tok, "default") == 0)
                e.active = true;
            else
                e.active = netrc_token(&c, tok, sizeof tok) && host
                           && ascii_strcasecmp(tok, host) == 0;
        } else if (strcmp(tok, "login") == 0) {
            e.have_login = netrc_token(&c, e.login, sizeof e.login);
        } else if (strcmp(tok, "password") == 0) {
            e.have_password = netrc_token(&c, e.password, sizeof e.password);
        } else if (strcmp(tok, "account") == 0) {
            netrc_token(&c, tok, sizeof tok);
        } else if (strcmp(tok, "macdef") == 0) {
            netrc_skip_macdef(&c);
        }
    }
    OPENSSL_cleanse(&e, sizeof e);
    OPENSSL_cleanse(tok, sizeof tok);
    return found;
}

/* 1 found, 0 not, -1 error (a file that gives the password but others may
 * read it is refused, as ftp does). */
static int netrc_lookup(const struct account *a, char **out, struct mo_err *err)
{
    char *home = home_dir(), *path, *text;
    struct stat st;
    ssize_t n;
    size_t len = 0;
    int fd, found;

    if (home == NULL)
        return 0;
    path = xasprintf("%s/.netrc", home);
    free(home);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > NETRC_MAX_SIZE) {
        if (fd >= 0)
            close(fd);
        free(path);
        return 0;
    }
    text = xmalloc((size_t)st.st_size + 1);
    while (len < (size_t)st.st_size
           && (n = read(fd, text + len, (size_t)st.st_size - len)) > 0)
        len += (size_t)n;
    close(fd);
    found = netrc_find(text, len, a->host, a->user, out);
    OPENSSL_cleanse(text, (size_t)st.st_size + 1);
    free(text);
    if (found && ((st.st_mode & 077) != 0 || st.st_uid != geteuid())) {
        secret_free(*out);
        *out = NULL;
        mo_err_set(err, EX_CONFIG, _("%s has a password for %s but may be read by others: refused (chmod 600 %s)"),
                   path, a->host, path);
        free(path);
        return -1;
    }
    free(path);
    return found;
}

/* --------------------------------------------------------------- prompt */

static volatile sig_atomic_t prompt_signal;

static void on_prompt_signal(int sig)
{
    prompt_signal = sig;
}

static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define N_PROMPT_SIGNALS (sizeof prompt_signals / sizeof prompt_signals[0])

/* One line from the terminal without echo. The terminal's settings come back
 * even when a signal interrupts the read; the signal is then re-raised. */
static int tty_read_secret(int fd, const char *prompt, char *buf, size_t size,
                           struct mo_err *err)
{
    struct termios old, quiet;
    struct sigaction sa, saved[N_PROMPT_SIGNALS];
    ssize_t n = -1;
    int e = 0;

    if (tcgetattr(fd, &old) != 0)
        return mo_err_set(err, EX_OSERR, _("cannot read the terminal settings: %s"), strerror(errno));
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prompt_signal;          /* no SA_RESTART: read returns */
    prompt_signal = 0;
    for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
        sigaction(prompt_signals[i], &sa, &saved[i]);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    /* Echo goes off before the prompt shows: what is typed after it is never
     * echoed, and only typeahead from before the prompt is discarded. */
    if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0 || write(fd, prompt, strlen(prompt)) < 0)
        e = errno;
    else if (!prompt_signal) {
        n = read(fd, buf, size - 1);
        e = errno;
    }
    tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* nothing more to do: the answer is already read */
    }
    for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
        sigaction(prompt_signals[i], &saved[i], NULL);
    if (prompt_signal) {
        OPENSSL_cleanse(buf, size);
        raise(prompt_signal);
        return mo_err_set(err, EX_TEMPFAIL, _("password prompt interrupted"));
    }
    if (n < 0)
        return mo_err_set(err, EX_IOERR, _("cannot read the password from the terminal: %s"), strerror(e));
    if (n == 0 || buf[n - 1] != '\n') {
        OPENSSL_cleanse(buf, size);
        return mo_err_set(err, EX_DATAERR, n == 0 ? _("no password entered")
                                                 : _("the password is too long"));
    }
    buf[n - 1] = '\0';
    if (n == 1)
        return mo_err_set(err, EX_DATAERR, _("no password entered"));
    return 0;
}

static int open_tty(void)
{
    return open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
}

static int prompt_password(const struct account *a, char **out, struct mo_err *err)
{
    char buf[PROMPT_MAX + 2];
    char *prompt = xasprintf(_("Password for %s at %s (account %s): "),
                             a->user ? a->user : "", a->host ? a->host : "",
                             acct_name(a));
    int fd = open_tty(), rc;

    if (fd < 0) {
        free(prompt);
        return 1;
    }
    rc = tty_read_secret(fd, prompt, buf, sizeof buf, err);
    close(fd);
    free(prompt);
    if (rc == 0)
        *out = xstrdup(buf);
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

/* ------------------------------------------------------------- the API */

/* 1 found, 0 nothing, -1 unavailable (a note went to stderr). */
static int keyring_source(const struct account *a, char **out)
{
    char why[512];
    int rc;

    if (!keyring_built() || a->host == NULL || a->user == NULL)
        return 0;
    rc = keyring_lookup("smtp", a->host, a->user, out, why, sizeof why);
    if (rc < 0)
        fprintf(stderr, _("mailout: account %s: the keyring is not available (%s); trying the next password source\n"),
                acct_name(a), why);
    return rc;
}

int secret_get_password(const struct account *acct, char **out, struct mo_err *err)
{
    int kr, rc;

    *out = NULL;
    stop_being_dumpable();
    if (oauth2_applies(acct))   /* mailout(1) OAUTH 2: the built-in OAuth 2 */
        return oauth2_access_token(acct, out, NULL, err);
    if (acct->password != NULL) {
        *out = xstrdup(acct->password);
        return 0;
    }
    if (acct->password_command != NULL)
        return secret_command(acct, "password_command", acct->password_command, out, err);
    kr = keyring_source(acct, out);
    if (kr == 1)
        return 0;
    rc = netrc_lookup(acct, out, err);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    rc = prompt_password(acct, out, err);
    if (rc <= 0)
        return rc;
    /* A keyring that is only out of reach now (cron, no D-Bus) may work for
     * a later `mailout -q`: that is a temporary failure. */
    return mo_err_set(err, kr < 0 ? EX_TEMPFAIL : EX_CONFIG,
                      _("account %s: no password: none in the configuration%s or ~/.netrc, and no terminal to ask on"),
                      acct_name(acct), keyring_built() ? _(", the keyring") : "");
}

static int need_host_user(const struct account *a, struct mo_err *err)
{
    if (a->host == NULL || a->user == NULL)
        return mo_err_set(err, EX_CONFIG, _("account %s: the keyring entry needs both host and user"),
                          acct_name(a));
    return 0;
}

int secret_store_password(const struct account *acct, struct mo_err *err)
{
    char first[PROMPT_MAX + 2], second[PROMPT_MAX + 2];
    char *label, *prompt;
    int fd, rc;

    stop_being_dumpable();
    if (need_host_user(acct, err) != 0)
        return -1;
    if (!keyring_built())
        return keyring_store("smtp", acct->host, acct->user, "", "", err);
    fd = open_tty();
    if (fd < 0)
        return mo_err_set(err, EX_USAGE, _("--store-password needs a terminal to ask for the password"));
    prompt = xasprintf(_("Password for %s at %s (account %s): "), acct->user, acct->host, acct_name(acct));
    rc = tty_read_secret(fd, prompt, first, sizeof first, err);
    free(prompt);
    if (rc == 0)
        rc = tty_read_secret(fd, _("Once more: "), second, sizeof second, err);
    close(fd);
    if (rc == 0 && strcmp(first, second) != 0)
        rc = mo_err_set(err, EX_DATAERR, _("the two passwords differ; nothing stored"));
    if (rc == 0) {
        label = xasprintf("mailout: %s@%s", acct->user, acct->host);
        rc = keyring_store("smtp", acct->host, acct->user, label, first, err);
        free(label);
    }
    OPENSSL_cleanse(first, sizeof first);
    OPENSSL_cleanse(second, sizeof second);
    return rc;
}

int secret_forget_password(const struct account *acct, struct mo_err *err)
{
    int rc;

    if (need_host_user(acct, err) != 0)
        return -1;
    if (acct->oauth2_provider != OAUTH2_NONE) {
        rc = o2store_forget(acct, err);
        if (rc != 0 || !keyring_built())
            return rc < 0 ? -1 : rc ? 0 : mo_err_set(err, EX_UNAVAILABLE, _("account %s: no OAuth 2 token is stored"),
                                                     acct_name(acct));
    }
    rc = keyring_forget("smtp", acct->host, acct->user, err);
    if (rc == 0)
        return mo_err_set(err, EX_UNAVAILABLE, _("account %s: the keyring has no password for %s at %s"),
                          acct_name(acct), acct->user, acct->host);
    return rc < 0 ? -1 : 0;
}

const char *secret_keyring_support(void)
{
    return keyring_built() ? "yes (libsecret, loaded on demand)" : "no";
}
