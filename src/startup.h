/* startup.h - the process made safe before anything else runs: standard
 * descriptors that exist, no core dumps, no death by SIGPIPE. */
#ifndef MAILOUT_STARTUP_H
#define MAILOUT_STARTUP_H

#include <stdbool.h>

struct startup_state {
    bool stdin_closed;          /* fd 0 was closed at start (now /dev/null) */
};

/* Call first in main(), before any file is opened. Descriptors 0, 1 and 2
 * that were closed become /dev/null (so that no file opened later becomes
 * one of them and receives what is meant for the terminal); the process is
 * made non-dumpable (no core file, no ptrace by the same user: the
 * configuration and the password are read later); SIGPIPE is ignored, so a
 * reader of stdout or stderr that goes away turns writes into EPIPE errors
 * instead of killing a delivery. At exit, a failed write to standard output
 * (other than EPIPE) is one error line and exit 74. Returns 0, or -1 when /dev/null cannot be
 * opened (nothing can be reported then: the caller exits). */
int startup_harden(struct startup_state *st);

#endif
