/* tls.h - OpenSSL 3 client side: verification, SNI, pinning, client certs. */
#ifndef MAILOUT_TLS_H
#define MAILOUT_TLS_H
#endif
