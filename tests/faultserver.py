#!/usr/bin/python3
"""faultserver.py - a scripted SMTP server for mailout's fault tests.

A well-behaved ESMTP server by default; a tests/faults/NAME.test file changes
what it answers at any stage ("on STAGE[ MATCH]: ACTION"). It records every
command line with the number of the read() that completed it (so a test can
see which commands arrived in one flight), and the DATA bytes exactly (a
client that leaves in the middle of them: "<data cut off after N bytes>").

    faultserver.py serve TEST DIR   listen on 127.0.0.1 port 0; write the
                                    client's DIR/config.ini and DIR/message,
                                    then DIR/vars.sh (the expectations, for the
                                    shell); serve one connection, write
                                    DIR/transcript and DIR/data; exit when the
                                    client leaves
    faultserver.py get TEST KEY     print a value (or block) of the test file
    faultserver.py check TEST DIR   compare the transcript, flights and data
                                    with the test; print the differences, exit 1

Test file: "key: value" lines, "# comments", and blocks "key:" ... "end".
Keys: desc, args, config (repeatable), caps (space-separated, "_" for a
space inside one: "SIZE_1000"; default PIPELINING 8BITMIME SIZE_10000000),
caps-tls (after TLS; default caps + AUTH PLAIN LOGIN), tls (off|starttls|
implicit), on (repeatable), exit, error (pattern for stderr, which must be
one line), stderr / stderr-not (patterns for the whole stderr), stdout,
requires (a config.h macro, e.g. HAVE_LIBIDN2: skipped without it),
line-max (N: a command line longer than N bytes with its CRLF is answered
"500 5.5.2 Error: line too long", as Postfix's line_length_limit does;
SASL responses after a 334 may be longer), stdout-not (pattern),
driver (instead of mailout, tests/smtp-driver with "N SENDER RCPT...": N
messages over one session), commands (block; fnmatch patterns),
flight (commands that must arrive in one read, e.g. "MAIL RCPT DATA"),
message (block: stdin of mailout), fill (N: N bytes, rounded down to whole
lines of 70 digits, appended to the message), data (block: the bytes the
server must receive between DATA and the final dot, lines joined with CRLF), size
("exact": MAIL's SIZE= must equal the message bytes received, dot-stuffing
removed, as RFC 1870 counts them).

Actions: reply TEXT (\\r\\n escapes allowed; CRLF added), raw TEXT (exact),
drop, stall, split TEXT (one byte per write), drip SECONDS TEXT (one byte
every SECONDS: each line within the client's timeout, the whole reply not),
flood BYTES, long N (a reply
line of N bytes), inject TEXT (the normal reply plus TEXT in the same write),
slowread BYTES SECONDS (DATA only: the usual 354, then the body is read at
most BYTES every SECONDS from a socket with a small receive buffer; once
DIR/client-exited exists, the rest at full speed. The client's writes block
only if its send buffer is small too: on loopback Linux grows it to MiBs,
so tests/deadline.sh caps tcp_wmem in a private network namespace).
Stages: greeting EHLO HELO LHLO STARTTLS AUTH AUTH2 MAIL RCPT DATA BDAT EOD
RSET QUIT (EOD: the reply to the final dot or to BDAT LAST); AUTH2 is the answer to the client's next AUTH line (a SASL response).
"""
import codecs
import fnmatch
import os
import socket
import ssl
import sys
import time


DEFAULT_CAPS = "PIPELINING 8BITMIME SIZE_10000000"


def parse(path):
    t = {"on": [], "config": []}
    block = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if block is not None:
                if line == "end":
                    block = None
                else:
                    t[block].append(line)
                continue
            if not line.strip() or line.startswith("#"):
                continue
            key, _, val = line.partition(":")
            key, val = key.strip(), val.strip()
            if key.startswith("on "):
                t["on"].append((key[3:].strip(), val))
            elif key == "on":
                stage, _, action = val.partition(":")
                t["on"].append((stage.strip(), action.strip()))
            elif key == "config":
                t["config"].append(val)
            elif val == "" and key in ("commands", "message", "data"):
                block = key
                t[key] = []
            else:
                t[key] = val
    return t


def unescape(s):
    return codecs.decode(s.encode("latin-1"), "unicode_escape").encode("latin-1")


class Server:
    def __init__(self, test, outdir):
        self.t = test
        self.dir = outdir
        self.reads = 0
        self.buf = b""
        self.transcript = []
        self.data = b""
        self.tls = False
        self.auth_next = False
        self.login_user = False
        self.slow = None        # (bytes, seconds) while the body is read slowly

    def action_for(self, stage, arg):
        for key, action in self.t["on"]:
            st, _, match = key.partition(" ")
            if st.upper() == stage.upper() and (not match or match in arg):
                return action
        return None

    def send(self, b):
        self.sock.sendall(b)

    def default_caps(self):
        if self.tls:
            caps = self.t.get("caps-tls", self.t.get("caps", DEFAULT_CAPS) + " AUTH_PLAIN_LOGIN")
        else:
            caps = self.t.get("caps", DEFAULT_CAPS)
        return [c.replace("_", " ") for c in caps.split()]

    def ehlo_reply(self):
        lines = ["fault.test"] + self.default_caps()
        out = b""
        for i, l in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            out += ("250" + sep).encode() + unescape(l) + b"\r\n"
        return out

    def act(self, stage, arg, default):
        """Performs the action for a stage; False when the session ends."""
        action = self.action_for(stage, arg) or ("rawb", default)
        if isinstance(action, str):
            verb, _, text = action.partition(" ")
        else:
            verb, text = action
        if verb == "rawb":
            self.send(text)
        elif verb == "reply":
            self.send(unescape(text) + b"\r\n")
        elif verb == "raw":
            self.send(unescape(text))
        elif verb == "inject":
            self.send(default + unescape(text) + b"\r\n")
        elif verb == "split":
            for byte in unescape(text) + b"\r\n":
                self.send(bytes([byte]))
                time.sleep(0.002)
        elif verb == "drip":
            pause, _, text = text.partition(" ")
            try:
                for byte in unescape(text) + b"\r\n":
                    self.send(bytes([byte]))
                    time.sleep(float(pause))
            except OSError:
                return False    # the client gave up, as it should
        elif verb == "long":
            try:
                self.send(b"250 " + b"x" * int(text) + b"\r\n")
            except OSError:
                return False    # the client hung up on it, as it should
        elif verb == "flood":
            line = b"250-" + b"f" * 70 + b"\r\n"
            sent = 0
            try:
                while sent < int(text):
                    self.send(line * 100)
                    sent += len(line) * 100
                self.send(b"250 end\r\n")
            except OSError:
                return False
        elif verb == "slowread":
            size, _, pause = text.partition(" ")
            self.slow = (int(size), float(pause))
            self.send(default)
        elif verb == "drop":
            return False
        elif verb == "stall":
            self.sock.settimeout(30)
            try:
                while self.sock.recv(4096):
                    pass
            except OSError:
                pass
            return False
        else:
            raise SystemExit("faultserver: unknown action " + verb)
        return True

    def read_more(self):
        size = 65536
        if self.slow and not os.path.exists(os.path.join(self.dir, "client-exited")):
            size = self.slow[0]
            time.sleep(self.slow[1])
        try:
            chunk = self.sock.recv(size)
        except ConnectionResetError:
            return False        # a client that gives up on a bad reply
        if not chunk:
            return False
        self.reads += 1
        self.buf += chunk
        return True

    def read_line(self):
        while b"\n" not in self.buf:
            if not self.read_more():
                return None
        line, _, self.buf = self.buf.partition(b"\n")
        self.line_bytes = len(line) + 1
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def too_long(self):
        """A command line over line-max (a SASL response may be longer)."""
        limit = int(self.t.get("line-max", "0"))
        return limit > 0 and not self.auth_next and self.line_bytes > limit

    def read_data(self):
        while b"\r\n.\r\n" not in b"\r\n" + self.buf:
            if not self.read_more():
                if self.buf:    # the client gave up in the middle of the data
                    self.transcript.append((self.reads, "<data cut off after %d bytes>"
                                            % len(self.buf)))
                return False
        whole = b"\r\n" + self.buf
        end = whole.index(b"\r\n.\r\n")
        self.data = whole[2:end + 2] if end > 0 else b""
        self.buf = whole[end + 5:]
        self.transcript.append((self.reads, "<data %d bytes>" % len(self.data)))
        return True

    def start_tls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certs = os.environ["FAULT_CERTS"]
        ctx.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.tls = True

    def session(self):
        if self.t.get("tls") == "implicit":
            self.start_tls()
        if not self.act("greeting", "", b"220 fault.test ESMTP faultserver\r\n"):
            return
        while True:
            line = self.read_line()
            if line is None:
                return
            if self.too_long():
                self.transcript.append((self.reads, "<line of %d bytes>" % self.line_bytes))
                self.send(b"500 5.5.2 Error: line too long\r\n")
                continue
            self.transcript.append((self.reads, line))
            if self.auth_next:
                self.auth_next = False
                if self.login_user:
                    # LOGIN: the user name came; ask for the password
                    self.login_user = False
                    self.auth_next = True
                    self.send(b"334 UGFzc3dvcmQ6\r\n")
                    continue
                if not self.act("AUTH2", line, b"235 2.7.0 Authentication successful\r\n"):
                    return
                continue
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            arg = line[len(verb):]
            if verb in ("EHLO", "LHLO"):
                ok = self.act(verb, arg, self.ehlo_reply())
            elif verb == "HELO":
                ok = self.act(verb, arg, b"250 fault.test\r\n")
            elif verb == "STARTTLS":
                action = self.action_for("STARTTLS", arg)
                ok = self.act(verb, arg, b"220 2.0.0 Ready to start TLS\r\n")
                if ok and (action is None or action.startswith(("reply 220", "inject"))):
                    self.start_tls()
            elif verb == "AUTH":
                words = line.split()
                if len(words) == 2 and words[1].upper() == "LOGIN":
                    self.auth_next = self.login_user = True
                    ok = self.act(verb, arg, b"334 VXNlcm5hbWU6\r\n")
                elif len(words) == 2:
                    self.auth_next = True
                    ok = self.act(verb, arg, b"334 \r\n")
                else:
                    action = self.action_for("AUTH", arg) or ""
                    ok = self.act(verb, arg, b"235 2.7.0 Authentication successful\r\n")
                    # a scripted challenge: the next line answers it
                    self.auth_next = action.startswith("reply 334")
            elif verb == "MAIL":
                ok = self.act(verb, arg, b"250 2.1.0 Ok\r\n")
            elif verb == "RCPT":
                ok = self.act(verb, arg, b"250 2.1.5 Ok\r\n")
            elif verb == "DATA":
                action = self.action_for("DATA", arg)
                ok = self.act(verb, arg, b"354 End data with <CR><LF>.<CR><LF>\r\n")
                if ok and (action is None or action.startswith(("reply 354", "slowread"))):
                    if not self.read_data():
                        return
                    self.slow = None
                    ok = self.act("EOD", "", b"250 2.0.0 Ok: queued as FAULT1\r\n")
            elif verb == "BDAT":
                words = line.split()
                size = int(words[1])
                last = len(words) > 2 and words[2].upper() == "LAST"
                while len(self.buf) < size:
                    if not self.read_more():
                        return
                self.data += self.buf[:size]
                self.buf = self.buf[size:]
                self.transcript.append((self.reads, "<bdat %d bytes>" % size))
                if last:
                    ok = self.act("EOD", "", b"250 2.0.0 Ok: queued as CHUNK1\r\n")
                else:
                    ok = self.act(verb, arg, b"250 2.0.0 Ok: %d octets received\r\n" % size)
            elif verb == "RSET":
                ok = self.act(verb, arg, b"250 2.0.0 Ok\r\n")
            elif verb == "QUIT":
                self.act(verb, arg, b"221 2.0.0 Bye\r\n")
                return
            else:
                ok = self.act(verb, arg, b"502 5.5.2 Error: command not recognized\r\n")
            if not ok:
                return

    def run(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if any(a.startswith("slowread") for _, a in self.t["on"]):
            # before listen: the window the client sees stays this small
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        ls.settimeout(20)
        prepare(self.t, self.dir, ls.getsockname()[1])
        try:
            self.sock, _ = ls.accept()
        except socket.timeout:
            return
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(30)
        try:
            self.session()
        except (OSError, ssl.SSLError) as e:
            self.transcript.append((self.reads, "<error %s>" % e.__class__.__name__))
        finally:
            try:
                self.sock.close()
            except OSError:
                pass
            with open(os.path.join(self.dir, "transcript"), "w", encoding="utf-8") as f:
                for n, l in self.transcript:
                    f.write("%d %s\n" % (n, l))
            with open(os.path.join(self.dir, "data"), "wb") as f:
                f.write(self.data)


BASE_CONFIG = [
    ("host", "127.0.0.1"), ("from", "sender@example.org"), ("auth", "off"),
    ("timeout", "2"), ("queue", "off"), ("add_date", "off"),
    ("add_message_id", "off"), ("add_from", "off"),
]

DEFAULT_MESSAGE = (b"From: sender@example.org\nTo: rcpt@example.net\nSubject: fault test\n"
                   b"Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <fault@example.org>\n"
                   b"\nHello.\n")


def sh_quote(v):
    return "'" + v.replace("'", "'\\''") + "'"


def prepare(t, d, port):
    """Writes DIR/config.ini, DIR/message and, last, DIR/vars.sh for the runner."""
    certs = os.environ.get("FAULT_CERTS", "")
    own = {c.partition("=")[0].strip() for c in t["config"]}
    base = BASE_CONFIG + [("port", str(port)), ("tls", t.get("tls", "off")),
                          ("tls_trust_file", os.path.join(certs, "ca.pem"))]
    lines = ["[mailout]", "logfile = " + os.path.join(d, "log"),
             "queue_dir = " + os.path.join(d, "queue"), "", "[account fault]"]
    lines += ["%s = %s" % kv for kv in base if kv[0] not in own]
    lines += [c.replace("$FAULT_CERTS", certs) for c in t["config"]]
    fd = os.open(os.path.join(d, "config.ini"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(d, "message"), "wb") as f:
        if "message" in t:
            f.write(b"".join(unescape(l) + b"\n" for l in t["message"]))
        else:
            f.write(DEFAULT_MESSAGE)
        line = b"0123456789" * 7 + b"\n"
        f.write(line * (int(t.get("fill", "0")) // len(line)))
    with open(os.path.join(d, "vars.tmp"), "w", encoding="utf-8", errors="surrogateescape") as f:
        for key in ("desc", "args", "exit", "error", "stderr", "stderr-not", "stdout",
                    "stdout-not", "driver", "requires"):
            v = t.get(key, "")
            if key == "args":   # \xNN escapes for 8-bit addresses
                v = unescape(v).decode("utf-8", "surrogateescape")
            f.write("t_%s=%s\n" % (key.replace("-", "_"), sh_quote(v)))
    os.rename(os.path.join(d, "vars.tmp"), os.path.join(d, "vars.sh"))


def load_transcript(d):
    out = []
    with open(os.path.join(d, "transcript"), encoding="utf-8") as f:
        for line in f:
            n, _, text = line.rstrip("\n").partition(" ")
            out.append((int(n), text))
    return out


def check(t, d):
    problems = []
    if not os.path.exists(os.path.join(d, "transcript")):
        print("no transcript: the server had no connection")
        return 1
    tr = load_transcript(d)
    got = [l for _, l in tr]
    if "commands" in t:
        want = [unescape(w).decode("utf-8", "replace") for w in t["commands"]]
        if len(got) != len(want) or not all(fnmatch.fnmatchcase(g, w) for g, w in zip(got, want)):
            problems.append("commands differ:\n  got:  %r\n  want: %r" % (got, want))
    if "flight" in t:
        verbs = t["flight"].split()
        # the first run of consecutive commands with these verbs
        for i in range(len(tr)):
            seq = tr[i:i + len(verbs)]
            if [l.split(" ")[0].split(":")[0] for _, l in seq] == verbs:
                if len({n for n, _ in seq}) != 1:
                    problems.append("flight %s arrived in reads %r" % (verbs, [n for n, _ in seq]))
                break
        else:
            problems.append("flight %s not found in %r" % (verbs, got))
    if "data" in t:
        want = "".join(unescape(l).decode("latin-1") + "\r\n" for l in t["data"]).encode("latin-1")
        with open(os.path.join(d, "data"), "rb") as f:
            have = f.read()
        if have != want:
            problems.append("data differs:\n  got:  %r\n  want: %r" % (have, want))
    if t.get("size") == "exact":
        problems += check_size(got, d)
    for p in problems:
        print(p)
    return 1 if problems else 0


def check_size(got, d):
    """SIZE= of the MAIL command against the bytes of the message received."""
    mail = [l for l in got if l.upper().startswith("MAIL FROM:")]
    words = [w for w in (mail[0].split() if mail else []) if w.upper().startswith("SIZE=")]
    if not words:
        return ["size: no MAIL FROM with SIZE= in %r" % got]
    with open(os.path.join(d, "data"), "rb") as f:
        have = f.read()
    if any(l.startswith("<data ") for l in got):
        # undo the dot-stuffing: every line that starts with a dot got one more
        have = b"\r\n".join(l[1:] if l.startswith(b".") else l for l in have.split(b"\r\n"))
    declared = int(words[0][5:])
    if declared != len(have):
        return ["size: SIZE=%d declared, %d bytes received" % (declared, len(have))]
    return []


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    cmd, path, arg = sys.argv[1:]
    t = parse(path)
    if cmd == "serve":
        Server(t, arg).run()
    elif cmd == "get":
        v = t.get(arg, "")
        if isinstance(v, list):
            for l in v:
                sys.stdout.buffer.write(unescape(l) + b"\n")
        else:
            print(v)
    elif cmd == "check":
        sys.exit(check(t, arg))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
