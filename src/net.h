/* net.h - a connection to the server with timeouts on every step: plain TCP,
 * or TLS on top once tls.h has started it. Owned by the delivery work. */
#ifndef MAILOUT_NET_H
#define MAILOUT_NET_H
#endif
