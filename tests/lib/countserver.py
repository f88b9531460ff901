#!/usr/bin/python3
"""countserver.py DIR - a small ESMTP acceptor that counts what it accepts.

Listens on 127.0.0.1 port 0 (the port goes to DIR/port, the pid to DIR/pid),
serves any number of connections in parallel, and appends one line per
accepted message to DIR/accepted: the value of its Subject field. Plain SMTP,
no TLS, no AUTH, PIPELINING offered.

What it does is read from DIR/mode at every new connection, so a test can
switch it while it runs:
  ok        accept everything (the default)
  421       "421 4.3.2 busy" as greeting, then close
  451rcpt   "451 4.3.0 try later" to every RCPT
  550rcpt   "550 5.1.1 no such user" to every RCPT
  dropbody  close the connection in the middle of the message data
  dropdot   read the whole message and the final dot, close without a reply
  slow      accept, but wait 0.05 s before every reply (round trips visible)

DIR/stats gets "connections N reads N" after each connection (reads: how
many times the server waited for the client, a measure of round trips).
"""
import os
import socket
import sys
import threading
import time

LOCK = threading.Lock()
STATS = {"connections": 0, "reads": 0}


def mode(d):
    try:
        with open(os.path.join(d, "mode")) as f:
            return f.read().strip() or "ok"
    except OSError:
        return "ok"


def record(d, name, line):
    with LOCK:
        with open(os.path.join(d, name), "a") as f:
            f.write(line + "\n")


def subject(data):
    for line in data.split(b"\r\n"):
        if line == b"":
            break
        if line.lower().startswith(b"subject:"):
            return line[8:].strip().decode("utf-8", "replace")
    return "(no subject)"


def serve(conn, d):
    m = mode(d)
    buf = b""
    reads = 0

    def send(s):
        if m == "slow":
            time.sleep(0.05)
        conn.sendall(s.encode())

    def readline():
        nonlocal buf, reads
        while b"\r\n" not in buf:
            chunk = conn.recv(65536)
            reads += 1
            if not chunk:
                return None
            buf += chunk
        line, _, buf = buf.partition(b"\r\n")
        return line

    try:
        if m == "421":
            send("421 4.3.2 busy\r\n")
            return
        send("220 count ESMTP\r\n")
        while True:
            line = readline()
            if line is None:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                send("250-count\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n")
            elif verb in (b"HELO", b"RSET", b"NOOP"):
                send("250 ok\r\n")
            elif verb == b"MAIL":
                send("250 2.1.0 ok\r\n")
            elif verb == b"RCPT":
                if m == "451rcpt":
                    send("451 4.3.0 try later\r\n")
                elif m == "550rcpt":
                    send("550 5.1.1 no such user\r\n")
                else:
                    send("250 2.1.5 ok\r\n")
            elif verb == b"DATA":
                send("354 go ahead\r\n")
                while b"\r\n.\r\n" not in buf:
                    chunk = conn.recv(65536)
                    reads += 1
                    if not chunk or m == "dropbody":
                        return
                    buf += chunk
                data, _, buf = buf.partition(b"\r\n.\r\n")
                if m == "dropdot":
                    return
                record(d, "accepted", subject(data + b"\r\n"))
                send("250 2.0.0 Ok: queued\r\n")
            elif verb == b"QUIT":
                send("221 bye\r\n")
                return
            else:
                send("502 5.5.2 what\r\n")
    except OSError:
        pass
    finally:
        conn.close()
        with LOCK:
            STATS["connections"] += 1
            STATS["reads"] += reads
            with open(os.path.join(d, "stats.tmp"), "w") as f:
                f.write("connections %d reads %d\n" % (STATS["connections"], STATS["reads"]))
            os.rename(os.path.join(d, "stats.tmp"), os.path.join(d, "stats"))


def main():
    d = sys.argv[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    with open(os.path.join(d, "pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    while True:
        conn, _ = s.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn, d), daemon=True).start()


if __name__ == "__main__":
    main()
