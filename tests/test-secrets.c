/* test-secrets.c - the password sources of SPEC §3: password_command,
 * ~/.netrc, the keyring when it is out of reach, no terminal.
 *
 * Without arguments: TAP unit tests, run in a new session (no controlling
 * terminal), with HOME in a scratch directory and D-Bus pointed nowhere.
 * With arguments it is a helper for tests/secrets.sh and tests/keyring.sh:
 *   test-secrets get HOST USER OUTFILE    writes the password to OUTFILE
 *   test-secrets store HOST USER          secret_store_password
 *   test-secrets forget HOST USER         secret_forget_password
 *   test-secrets maps                     prints whether libsecret is mapped
 *   test-secrets support                  prints secret_keyring_support()
 * Errors go to stderr as "error CODE: MESSAGE" and the exit status is CODE. */
#include "config.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tap.h"
#include "keyring.h"
#include "secrets.h"
#include "util.h"

static char scratch[] = "/tmp/test-secrets.XXXXXX";

static struct account make_account(const char *host, const char *user)
{
    struct account a;
    memset(&a, 0, sizeof a);
    a.name = (char *)"work";
    a.host = (char *)host;
    a.user = (char *)user;
    a.timeout = 10;
    return a;
}

static bool maps_have(const char *what)
{
    char line[1024];
    bool found = false;
    FILE *f = fopen("/proc/self/maps", "r");

    while (f && fgets(line, sizeof line, f))
        if (strstr(line, what))
            found = true;
    if (f)
        fclose(f);
    return found;
}

/* ---------------------------------------------------------- helper modes */

static int helper(int argc, char **argv)
{
    struct mo_err err = { 0, "" };
    struct account a;
    char *pw = NULL;
    int rc;

    if (strcmp(argv[1], "support") == 0) {
        printf("%s\n", secret_keyring_support());
        return 0;
    }
    if (strcmp(argv[1], "maps") == 0) {
        printf("libsecret %s\n", maps_have("libsecret") ? "mapped" : "not mapped");
        return 0;
    }
    if (argc < 4)
        return 64;
    a = make_account(argv[2], argv[3]);
    if (strcmp(argv[1], "get") == 0 && argc == 5) {
        rc = secret_get_password(&a, &pw, &err);
        if (rc == 0) {
            FILE *f = fopen(argv[4], "w");
            if (f == NULL)
                return 73;
            fprintf(f, "%s", pw);
            fclose(f);
            printf("got a password; libsecret %s\n", maps_have("libsecret") ? "mapped" : "not mapped");
            secret_free(pw);
        }
    } else if (strcmp(argv[1], "store") == 0) {
        rc = secret_store_password(&a, &err);
    } else if (strcmp(argv[1], "forget") == 0) {
        rc = secret_forget_password(&a, &err);
    } else {
        return 64;
    }
    if (rc != 0) {
        fprintf(stderr, "error %d: %s\n", err.code, err.msg);
        return err.code;
    }
    return 0;
}

/* ---------------------------------------------------------- unit tests */

static int get_cmd(const char *cmd, int timeout, char **pw, struct mo_err *err)
{
    struct account a = make_account("smtp.example.com", "me");
    a.password_command = (char *)cmd;
    a.timeout = timeout;
    *pw = NULL;
    return secret_get_password(&a, pw, err);
}

static void test_password_command(void)
{
    struct mo_err err = { 0, "" };
    char *pw;
    int rc;
    time_t t0;

    rc = get_cmd("printf 'sekrit\\n'", 10, &pw, &err);
    ok(rc == 0 && pw && strcmp(pw, "sekrit") == 0, "password_command: output, trailing newline dropped");
    secret_free(pw);
    rc = get_cmd("printf 'two\\n\\n'", 10, &pw, &err);
    ok(rc == 0 && pw && strcmp(pw, "two\n") == 0, "only one trailing newline is dropped");
    secret_free(pw);
    rc = get_cmd("printf 'no newline'", 10, &pw, &err);
    ok(rc == 0 && pw && strcmp(pw, "no newline") == 0, "output without a newline is kept whole");
    secret_free(pw);
    rc = get_cmd("echo leaked-output; echo on-stderr >&2; exit 3", 10, &pw, &err);
    ok(rc == -1 && pw == NULL && err.code == EX_TEMPFAIL, "exit 3 is an error (%d)", err.code);
    ok(strstr(err.msg, "work") && strstr(err.msg, "exit status 3"), "it names the account and the status: %s", err.msg);
    ok(strstr(err.msg, "leaked-output") == NULL, "and never the output");
    rc = get_cmd("/nonexistent/helper", 10, &pw, &err);
    ok(rc == -1 && err.code == EX_CONFIG && strstr(err.msg, "127"), "a missing command is a configuration error: %s", err.msg);
    t0 = time(NULL);
    rc = get_cmd("sleep 20", 1, &pw, &err);
    ok(rc == -1 && err.code == EX_TEMPFAIL && strstr(err.msg, "timed out"), "a hanging command times out: %s", err.msg);
    ok(time(NULL) - t0 < 5, "within the account's timeout");
    t0 = time(NULL);
    rc = get_cmd("echo part; exec sleep 20", 1, &pw, &err);
    ok(rc == -1 && strstr(err.msg, "timed out") && time(NULL) - t0 < 5, "a command that writes then hangs times out");
    rc = get_cmd("head -c 200000 /dev/zero | tr '\\0' x", 10, &pw, &err);
    ok(rc == -1 && strstr(err.msg, "more than"), "huge output is refused: %s", err.msg);
    rc = get_cmd("printf 'a\\000b'", 10, &pw, &err);
    ok(rc == -1 && strstr(err.msg, "NUL"), "a NUL byte in the output is refused");
    rc = get_cmd("true", 10, &pw, &err);
    ok(rc == -1 && err.code == EX_CONFIG && strstr(err.msg, "nothing"), "empty output is an error");
    rc = get_cmd("cat; echo after-cat", 10, &pw, &err);
    ok(rc == 0 && pw && strcmp(pw, "after-cat") == 0, "stdin is /dev/null: reading it does not hang");
    secret_free(pw);
    {
        int fd = open("/dev/null", O_RDONLY);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "if [ -e /proc/self/fd/%d ]; then echo leaked; else echo clean; fi", fd);
        rc = get_cmd(cmd, 10, &pw, &err);
        ok(rc == 0 && pw && strcmp(pw, "clean") == 0, "no descriptor of ours leaks into the command");
        secret_free(pw);
        close(fd);
    }
    ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "the process is not dumpable once it held a password");
    ok(!maps_have("libsecret"), "libsecret was not loaded: no keyring lookup happened");
}

static void write_file(const char *path, const char *text, int mode)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, (mode_t)mode);
}

/* Runs secret_get_password with stderr captured in a file. */
static int get_netrc(const char *host, const char *user, char **pw,
                     struct mo_err *err, char *stderr_text, size_t size)
{
    struct account a = make_account(host, user);
    char path[256];
    int saved = dup(2), fd, rc;
    ssize_t n;

    snprintf(path, sizeof path, "%s/stderr", scratch);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    fflush(stderr);
    dup2(fd, 2);
    *pw = NULL;
    rc = secret_get_password(&a, pw, err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    n = read(fd, stderr_text, size - 1);
    stderr_text[n > 0 ? n : 0] = '\0';
    if (n > 0 && stderr_text[n - 1] == '\n')
        stderr_text[n - 1] = '\0';     /* keeps the TAP line whole */
    close(fd);
    return rc;
}

static void test_netrc(void)
{
    struct mo_err err = { 0, "" };
    char path[256], errtext[2048], *pw;
    int rc;

    snprintf(path, sizeof path, "%s/.netrc", scratch);
    write_file(path,
               "machine other.example login me password wrong\n"
               "machine smtp.example.com login someoneelse password notmine\n"
               "macdef init\ncd /pub\nmachine smtp.example.com password inmacro\n\n"
               "machine SMTP.example.com\n  login me\n  password \"with space\"\n"
               "default login me password dflt\n", 0600);
    rc = get_netrc("smtp.example.com", "me", &pw, &err, errtext, sizeof errtext);
    ok(rc == 0 && pw && strcmp(pw, "with space") == 0, "netrc: machine and login match, quoted password");
    secret_free(pw);
    if (keyring_built())
        ok(strstr(errtext, "keyring is not available") != NULL,
           "the keyring out of reach is one line on stderr, then the next source: %s", errtext);
    else
        ok(errtext[0] == '\0', "built without keyring: nothing on stderr");
    ok(strchr(errtext, '\n') == NULL, "exactly one line");
    rc = get_netrc("unknown.example", "me", &pw, &err, errtext, sizeof errtext);
    ok(rc == 0 && pw && strcmp(pw, "dflt") == 0, "netrc: the default entry");
    secret_free(pw);
    rc = get_netrc("unknown.example", "nobody", &pw, &err, errtext, sizeof errtext);
    ok(rc == -1 && pw == NULL, "netrc: a login that matches no entry gives nothing");
    ok(strstr(err.msg, "no terminal") != NULL, "and without a terminal that is a clear error: %s", err.msg);
    is_int(err.code, keyring_built() ? EX_TEMPFAIL : EX_CONFIG,
           "temporary when the keyring was out of reach, else a configuration error");

    chmod(path, 0644);
    rc = get_netrc("smtp.example.com", "me", &pw, &err, errtext, sizeof errtext);
    ok(rc == -1 && err.code == EX_CONFIG && strstr(err.msg, ".netrc") && strstr(err.msg, "others"),
       "a world-readable .netrc with our password is refused: %s", err.msg);
    ok(strstr(err.msg, "with space") == NULL && strstr(errtext, "with space") == NULL,
       "without showing the password");
    chmod(path, 0640);
    rc = get_netrc("smtp.example.com", "me", &pw, &err, errtext, sizeof errtext);
    ok(rc == -1 && err.code == EX_CONFIG, "a group-readable one too");
    rc = get_netrc("nomatch.example", "nobody", &pw, &err, errtext, sizeof errtext);
    ok(rc == -1 && strstr(err.msg, "no terminal"), "a loose .netrc without our entry is simply not used");
    unlink(path);
}

static void test_password_field(void)
{
    struct mo_err err = { 0, "" };
    struct account a = make_account("h", "u");
    char *pw = NULL;

    a.password = (char *)"from-file";
    a.password_command = (char *)"echo from-command";
    ok(secret_get_password(&a, &pw, &err) == 0 && pw && strcmp(pw, "from-file") == 0,
       "password in the file comes first");
    secret_free(pw);
    is_str(secret_keyring_support(), keyring_built() ? "yes (libsecret, loaded on demand)" : "no",
           "keyring support text");
}

static void test_store_without_tty(void)
{
    struct mo_err err = { 0, "" };
    struct account a = make_account("h", "u");
    int rc = secret_store_password(&a, &err);

    if (keyring_built())
        ok(rc == -1 && err.code == EX_USAGE && strstr(err.msg, "terminal"),
           "--store-password without a terminal: %s", err.msg);
    else
        ok(rc == -1 && err.code == EX_UNAVAILABLE, "--store-password without keyring support: %s", err.msg);
    a.user = NULL;
    ok(secret_store_password(&a, &err) == -1 && err.code == EX_CONFIG, "store needs host and user");
}

static int unit_tests(void)
{
    char home[300];

    if (mkdtemp(scratch) == NULL)
        return 1;
    snprintf(home, sizeof home, "%s", scratch);
    setenv("HOME", home, 1);
    setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus", 1);
    unsetenv("DISPLAY");
    test_password_field();
    test_password_command();
    test_netrc();
    test_store_without_tty();
    {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
        if (system(cmd) != 0)
            diag("could not remove %s", scratch);
    }
    return done_testing();
}

int main(int argc, char **argv)
{
    pid_t pid;
    int status;

    if (argc > 1)
        return helper(argc, argv);
    /* A new session has no controlling terminal, as under cron. */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        setsid();
        exit(unit_tests());
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
