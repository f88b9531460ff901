#!/usr/bin/python3
"""bs-client.py - a scripted SMTP client for mailout -bs (tests/bs.sh).

Usage: bs-client.py SCENARIO MAILOUT [ARGS...]
Runs MAILOUT -bs ARGS as a child and talks to it over its stdin/stdout.
Prints one line per check: "ok DESCRIPTION" or "not ok DESCRIPTION # detail".
"""
import os
import subprocess
import sys
import time


class Client:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv + ["-bs"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, bufsize=0)
        self.buf = b""

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def line(self):
        while b"\n" not in self.buf:
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise EOFError("mailout closed its output")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return lines

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.reply()

    def message(self, sender, rcpts, body):
        """MAIL, RCPT..., DATA in lock-step; returns the final reply."""
        r = self.cmd("MAIL FROM:<%s>" % sender)
        if not r[0].startswith("250"):
            return r
        for rc in rcpts:
            self.cmd("RCPT TO:<%s>" % rc)
        r = self.cmd("DATA")
        if not r[0].startswith("354"):
            return r
        self.send(stuff(body) + b".\r\n")
        return self.reply()

    def close(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        return self.p.wait(timeout=60)


def stuff(body):
    """CRLF line ends and dot-stuffing, as RFC 5321 4.5.2 asks."""
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)


def check(cond, desc, detail=""):
    print(("ok " if cond else "not ok ") + desc + ("" if cond else " # " + str(detail)))
    sys.stdout.flush()


def msg(subject, to, extra=b""):
    return (b"From: Script <script@test.example>\nTo: " + to.encode() +
            b"\nSubject: " + subject.encode() + b"\n" + extra +
            b"\n.leading dot line\nbody of " + subject.encode() + b"\n")


def session(argv):
    c = Client(argv)
    g = c.reply()
    check(g[0].startswith("220 "), "greeting 220", g)
    e = c.cmd("EHLO client.test.example")
    keys = [l[4:].split(" ")[0] for l in e[1:]]
    check(e[0].startswith("250-") and e[-1].startswith("250 "), "EHLO: 250 multi-line", e)
    for k in ("PIPELINING", "8BITMIME", "SIZE", "ENHANCEDSTATUSCODES"):
        check(k in keys, "EHLO advertises " + k, e)
    v = c.cmd("VRFY root")
    check(v[0].startswith("252 "), "VRFY refused politely (252)", v)
    # two messages in one session
    r1 = c.message("script@test.example", ["bs-one@example.net"], msg("bs one", "bs-one@example.net"))
    check(r1[0].startswith("250 "), "first message: 250 after the relay took it", r1)
    r2 = c.message("script@test.example", ["bs-two@example.net", "bs-two-b@example.net"],
                   msg("bs two", "bs-two@example.net"))
    check(r2[0].startswith("250 "), "second message in the same session: 250", r2)
    # a pipelined flight: MAIL, RCPT, RCPT, DATA in one write
    c.send(b"MAIL FROM:<script@test.example>\r\nRCPT TO:<bs-pipe@example.net>\r\n"
           b"RCPT TO:<bs-pipe2@example.net>\r\nDATA\r\n")
    rs = [c.reply()[0] for _ in range(4)]
    check([x[:3] for x in rs] == ["250", "250", "250", "354"], "pipelined MAIL/RCPT/RCPT/DATA: 250 250 250 354", rs)
    c.send(stuff(msg("bs pipelined", "bs-pipe@example.net")) + b".\r\nNOOP\r\n")
    rs = [c.reply()[0], c.reply()[0]]
    check(rs[0].startswith("250 ") and rs[1].startswith("250 "), "the data and a pipelined NOOP: 250 250", rs)
    # a recipient the relay refuses: 5xx in the session, which goes on
    r3 = c.message("script@test.example", ["reject@test.example"], msg("bs refused", "reject@test.example"))
    check(r3[0][:1] == "5" and "reject@test.example" in r3[0], "a refused recipient: 5xx with the relay's reason", r3)
    # a recipient the relay refuses for now: queued, and 250 says so
    rt = c.message("script@test.example", ["tempfail@test.example"], msg("bs tempfail", "tempfail@test.example"))
    check(rt[0].startswith("250 2.0.0") and "queued as" in rt[0] and "450" in rt[0],
          "a recipient refused for now: 250 queued as ID, with the relay's 450", rt)
    print("queued-id " + (rt[0].split("queued as ")[1].split(":")[0] if "queued as " in rt[0] else "none"))
    # a line of the message over the limit: 500, nothing sent, session usable
    rl = c.message("script@test.example", ["bs-longline@example.net"],
                   msg("bs long line", "bs-longline@example.net", b"X-Long: " + b"y" * 70000 + b"\n"))
    check(rl[0].startswith("500 5.5.2"), "a message line over 65536 bytes: 500 5.5.2", rl)
    # a message over message_size_limit (100000 in bs.sh): 552
    rb = c.message("script@test.example", ["bs-big@example.net"],
                   msg("bs big", "bs-big@example.net") + (b"z" * 76 + b"\n") * 2000)
    check(rb[0].startswith("552 5.3.4"), "a message over message_size_limit: 552 5.3.4", rb)
    check("250-SIZE 100000" in e, "EHLO SIZE is message_size_limit", e)
    # an over-long command line: 5xx, and the session stays usable
    c.send(b"NOOP " + b"x" * 5000 + b"\r\n")
    r4 = c.reply()
    check(r4[0].startswith("500 5.5.2"), "an over-long line: 500 5.5.2", r4)
    r5 = c.message("script@test.example", ["bs-after@example.net"], msg("bs after long line", "bs-after@example.net"))
    check(r5[0].startswith("250 "), "after it, a message still goes", r5)
    # SIZE over the limit
    r6 = c.cmd("MAIL FROM:<script@test.example> SIZE=99999999999")
    check(r6[0].startswith("552 5.3.4"), "MAIL SIZE= over the limit: 552", r6)
    r7 = c.cmd("RCPT TO:<x@example.net>")
    check(r7[0].startswith("503"), "RCPT without MAIL: 503", r7)
    q = c.cmd("QUIT")
    check(q[0].startswith("221"), "QUIT: 221", q)
    rc = c.close()
    check(rc == 0, "exit 0 after QUIT", rc)


def vanish(argv):
    c = Client(argv)
    c.reply()
    c.cmd("EHLO client")
    c.cmd("MAIL FROM:<script@test.example>")
    c.cmd("RCPT TO:<bs-vanish@example.net>")
    r = c.cmd("DATA")
    check(r[0].startswith("354"), "DATA: 354", r)
    c.send(b"Subject: half\r\n\r\nhalf a message\r\n")
    rc = c.close()
    check(rc != 0, "the client left inside DATA: a nonzero exit", rc)


if __name__ == "__main__":
    {"session": session, "vanish": vanish}[sys.argv[1]](sys.argv[2:])
