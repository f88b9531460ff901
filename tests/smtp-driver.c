/* smtp-driver.c - sends the message on stdin N times over one SMTP session
 * (keep_open, as the queue does), for the fault cases that check RSET
 * between messages. Usage: smtp-driver CONFIG ACCOUNT N SENDER RCPT...
 * Exit: 0, or the sysexits code of the first failure. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "envelope.h"
#include "message.h"
#include "smtp.h"
#include "util.h"

int main(int argc, char **argv)
{
    struct config cfg;
    struct message msg;
    struct envelope env;
    struct mo_err err = { 0, "" };
    struct smtp_session *s = NULL;
    const struct account *acct;
    int n, rc = 0;

    if (argc < 6) {
        fprintf(stderr, "usage: smtp-driver CONFIG ACCOUNT N SENDER RCPT...\n");
        return EX_USAGE;
    }
    memset(&cfg, 0, sizeof cfg);
    memset(&msg, 0, sizeof msg);
    memset(&env, 0, sizeof env);
    msg.body_fd = -1;
    n = atoi(argv[3]);
    if (config_load(&cfg, argv[1], &err) != 0
        || (acct = config_select_account(&cfg, argv[2], NULL, &err)) == NULL
        || message_read(STDIN_FILENO, true, getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                        &msg, &err) != 0) {
        fprintf(stderr, "mailout: %s\n", err.msg);
        return err.code;
    }
    env.sender = argv[4];
    env.rcpts = argv + 5;
    env.n_rcpts = (size_t)(argc - 5);
    struct smtp_options opt = { .acct = acct, .password = acct->password,
                                .keep_open = true, .debug = getenv("DRIVER_DEBUG") != NULL };
    if (smtp_session_open(&s, &opt, &err) != 0) {
        fprintf(stderr, "mailout: %s\n", err.msg);
        return err.code;
    }
    /* Goes on after a failure while the session is usable, as the queue
     * does; the exit code is the first failure's. */
    for (int i = 0; i < n && smtp_session_usable(s); i++) {
        struct smtp_result res;
        memset(&res, 0, sizeof res);
        if (smtp_session_send(s, &env, &msg, &res, &err) != 0) {
            fprintf(stderr, "mailout: %s\n", err.msg);
            if (rc == 0)
                rc = err.code;
        } else {
            printf("sent %d: %s\n", i + 1, res.reply);
        }
        smtp_result_free(&res);
    }
    smtp_session_close(s);
    message_free(&msg);
    config_free(&cfg);
    return rc;
}
