#!/usr/bin/env python3
"""delayproxy.py - a TCP proxy on loopback that adds a one-way delay in each
direction and counts round trips, for bench/roundtrips.sh.

    delayproxy.py TARGET_HOST TARGET_PORT [--delay-ms 50] [--log FILE]

Listens on 127.0.0.1 on a free port and prints that port on stdout (one line)
once it is listening. Runs until killed. For every connection it appends one
line to --log (default: stderr):

    conn=N waits=W client_flights=C c2s=BYTES s2c=BYTES seconds=S

waits counts the server's flights: runs of server-to-client data with no
client data in between. The first is the greeting; each later one is a reply
the client had to wait for, after the TCP connect - what "round trips" means
in mailout's issue 4 (STARTTLS + AUTH PLAIN: 7 at the floor). client_flights
counts the runs of client-to-server data. The delay makes a wait cost
2 x delay, so a client that waits more often than it must shows up in the
wall time too.

Data is forwarded in order, each chunk released `delay` after it was read;
a half-close (EOF) is forwarded after the same delay.
"""
import argparse
import heapq
import itertools
import socket
import sys
import threading
import time

C2S, S2C = "c2s", "s2c"


class Conn:
    """One proxied connection and its event log."""

    def __init__(self, num, client, server, delay, log):
        self.num, self.client, self.server = num, client, server
        self.delay, self.log = delay, log
        self.lock = threading.Lock()
        self.events = []            # (monotonic time, direction, nbytes)
        self.start = time.monotonic()
        self.done = 0

    def note(self, direction, n):
        with self.lock:
            self.events.append((time.monotonic(), direction, n))

    def pump(self, src, dst, direction):
        """Read src, release each chunk to dst `delay` after reading it."""
        queue, cond = [], threading.Condition()
        seq = itertools.count()

        def writer():
            while True:
                with cond:
                    while not queue:
                        cond.wait()
                    due, _, data = queue[0]
                    now = time.monotonic()
                    if due > now:
                        cond.wait(due - now)
                        continue
                    heapq.heappop(queue)
                try:
                    if data is None:
                        dst.shutdown(socket.SHUT_WR)
                        return
                    dst.sendall(data)
                except OSError:
                    return

        w = threading.Thread(target=writer, daemon=True)
        w.start()
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if data:
                self.note(direction, len(data))
            with cond:
                heapq.heappush(queue, (time.monotonic() + self.delay, next(seq),
                                       data if data else None))
                cond.notify()
            if not data:
                break
        w.join()
        self.finish()

    def finish(self):
        with self.lock:
            self.done += 1
            if self.done < 2:
                return
        for s in (self.client, self.server):
            try:
                s.close()
            except OSError:
                pass
        waits = flights = 0
        last = None
        c2s = s2c = 0
        for _, direction, n in self.events:
            if direction == S2C:
                s2c += n
                if last != S2C:
                    waits += 1
            else:
                c2s += n
                if last != C2S:
                    flights += 1
            last = direction
        line = "conn=%d waits=%d client_flights=%d c2s=%d s2c=%d seconds=%.3f\n" % (
            self.num, waits, flights, c2s, s2c, time.monotonic() - self.start)
        with LOG_LOCK:
            self.log.write(line)
            self.log.flush()


LOG_LOCK = threading.Lock()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--delay-ms", type=float, default=50.0)
    ap.add_argument("--log")
    args = ap.parse_args()
    log = open(args.log, "a") if args.log else sys.stderr

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    print(lsock.getsockname()[1], flush=True)

    for num in itertools.count(1):
        client, _ = lsock.accept()
        try:
            server = socket.create_connection((args.host, args.port), timeout=10)
            server.settimeout(None)
        except OSError as e:
            print("delayproxy: cannot connect to target: %s" % e, file=sys.stderr)
            client.close()
            continue
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Conn(num, client, server, args.delay_ms / 1000.0, log)
        threading.Thread(target=conn.pump, args=(client, server, C2S), daemon=True).start()
        threading.Thread(target=conn.pump, args=(server, client, S2C), daemon=True).start()


if __name__ == "__main__":
    main()
