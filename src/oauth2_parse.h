/* oauth2_parse.h - parsers of what OAuth 2 servers and browsers send back:
 * a token or device endpoint's JSON answer, a redirect URL's query. */
#ifndef MAILOUT_OAUTH2_PARSE_H
#define MAILOUT_OAUTH2_PARSE_H

#include <stddef.h>

/* What a token or device endpoint answered; strings NULL when absent. */
struct oauth2_reply {
    long status;
    char *access_token, *refresh_token;     /* secrets */
    long expires_in;                        /* -1 when absent */
    char *error, *error_description;
    char *device_code, *user_code, *verification_uri, *verification_uri_complete;
    long interval;                          /* -1 when absent */
};
void oauth2_reply_free(struct oauth2_reply *r);

/* Parses a JSON answer body into r (for tests and fuzzing too): 0, or -1
 * when it is not a JSON object. */
int oauth2_reply_parse(const char *body, size_t len, struct oauth2_reply *r);

/* The percent-decoded value of name in a URL's query (or a bare query
 * string); NULL when absent. */
char *oauth2_query_param(const char *url, const char *name);

#endif
