#!/usr/bin/python3
"""chaosserver.py DIR SEED - an ESMTP server that misbehaves at random.

Listens on 127.0.0.1 port 0 (the port goes to DIR/port), serves connections
in parallel. At every command (and at the greeting and the end of data) it
rolls a die from its own seeded generator: most of the time it answers
well; sometimes it closes the connection (drop), says nothing for STALL
seconds (stall), or answers 451 (a temporary failure). Every message it
accepts is written whole, dot-unstuffed, to DIR/accepted/N (N counts up),
before the 250 that accepts it. DIR/chaos sets the odds: "drop stall 4xx"
in percent per step (default "3 1 4"); "0 0 0" makes it well behaved.
"""
import os
import random
import socket
import sys
import threading
import time

LOCK = threading.Lock()
COUNT = [0]
STALL = 3.0


def odds(d):
    try:
        with open(os.path.join(d, "chaos")) as f:
            return [float(x) for x in f.read().split()]
    except (OSError, ValueError):
        return [3, 1, 4]


def save(d, data):
    with LOCK:
        COUNT[0] += 1
        n = COUNT[0]
    tmp = os.path.join(d, "accepted", ".%d" % n)
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(d, "accepted", str(n)))


def serve(conn, d, rng):
    drop, stall, temp = odds(d)
    buf = b""

    def fate():
        """None to answer well, else 'drop', 'stall' or '4xx'."""
        x = rng.uniform(0, 100)
        if x < drop:
            return "drop"
        if x < drop + stall:
            return "stall"
        if x < drop + stall + temp:
            return "4xx"
        return None

    def answer(good):
        f = fate()
        if f == "drop":
            return False
        if f == "stall":
            time.sleep(STALL)
            return False
        conn.sendall(b"451 4.3.0 chaos\r\n" if f == "4xx" else good)
        return True

    def readline():
        nonlocal buf
        while b"\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            buf += chunk
        line, _, buf = buf.partition(b"\r\n")
        return line

    try:
        if not answer(b"220 chaos ESMTP\r\n"):
            return
        in_txn = False
        while True:
            line = readline()
            if line is None:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                ok = answer(b"250-chaos\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n")
            elif verb in (b"HELO", b"RSET", b"NOOP"):
                ok = answer(b"250 ok\r\n")
            elif verb in (b"MAIL", b"RCPT"):
                ok = answer(b"250 2.1.0 ok\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                while b"\r\n.\r\n" not in b"\r\n" + buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                whole = b"\r\n" + buf
                end = whole.index(b"\r\n.\r\n")
                data, buf = whole[2:end + 2], whole[end + 5:]
                f = fate()
                if f == "drop" or f == "stall":
                    if f == "stall":
                        time.sleep(STALL)
                    return
                if f == "4xx":
                    conn.sendall(b"451 4.3.0 chaos at the end of data\r\n")
                    continue
                lines = data.split(b"\r\n")
                data = b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)
                save(d, data)
                conn.sendall(b"250 2.0.0 Ok: queued\r\n")
                continue
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                ok = answer(b"502 5.5.2 what\r\n")
            if not ok:
                return
    except OSError:
        pass
    finally:
        conn.close()


def main():
    d, seed = sys.argv[1], int(sys.argv[2])
    os.makedirs(os.path.join(d, "accepted"), exist_ok=True)
    master = random.Random(seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    while True:
        conn, _ = s.accept()
        rng = random.Random(master.getrandbits(64))
        threading.Thread(target=serve, args=(conn, d, rng), daemon=True).start()


if __name__ == "__main__":
    main()
