/* tls.h - OpenSSL 3 client settings and what a session reports about itself.
 * The TLS session itself is net.c's business: tls_session.h. */
#ifndef MAILOUT_TLS_H
#define MAILOUT_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct tls_config {
    const char *server_name;    /* SNI and the name (or IP) verified */
    const char *trust_file;     /* NULL or "system": the system store */
    const char *fingerprint;    /* "SHA256:AB:CD:..." pins the certificate, or NULL */
    const char *cert_file;      /* client certificate, or NULL */
    const char *key_file;
    int min_version;            /* 12 or 13 */
};

struct tls_info {
    char version[16];           /* "TLSv1.3" */
    char cipher[64];            /* "TLS_AES_256_GCM_SHA384" */
    char subject[256];          /* "O = Example, CN = smtp.example.com" */
    char issuer[256];
    char not_before[40];        /* "2026-11-24 00:14:00Z" (ISO 8601, UTC) */
    char not_after[40];
    char fingerprint[104];      /* "SHA256:AB:CD:..." (7 + 32*3 - 1 characters) */
    bool verified;              /* chain and name verified (or pinned) */
};

#endif
