/* https.h - one HTTPS POST of a form through libcurl: proxies from the
 * environment (as curl does), TLS verification always on, an optional
 * private CA, a bounded answer and a timeout. Nothing is logged: the form
 * and the answer carry secrets. */
#ifndef MAILOUT_HTTPS_H
#define MAILOUT_HTTPS_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

#define HTTPS_MAX_ANSWER (64 * 1024)

struct https_answer {
    long status;        /* HTTP status */
    char *body;         /* NUL-terminated, wipe with https_answer_free */
    size_t len;
};

/* True when built with libcurl. */
bool https_built(void);

/* POSTs form (application/x-www-form-urlencoded) to url. trust_file:
 * NULL or "system" for the system store, else a PEM file. A transport
 * failure (no connection, TLS, timeout, an answer over the bound) is
 * EX_TEMPFAIL with the reason; any HTTP status is success here. */
int https_post_form(const char *url, const char *form, const char *trust_file,
                    int timeout, struct https_answer *ans, struct mo_err *err);

/* Appends name=value to form, percent-encoding the value. */
void https_form_add(char **form, const char *name, const char *value);

/* Percent-encodes s (RFC 3986 unreserved kept); caller frees. */
char *https_escape(const char *s);

void https_answer_free(struct https_answer *ans);

#endif
