#!/usr/bin/python3
"""syslog-sink.py SOCKET OUTFILE PIDFILE - a stand-in for syslogd in tests.

Binds a Unix datagram socket (e.g. /dev/log when the machine has no syslog)
and appends every datagram it receives, one per line, to OUTFILE. Runs in
the background until killed by the PID written to PIDFILE; exits by itself
after ten minutes so a failed test cannot leave it behind."""
import os
import signal
import socket
import sys

sock_path, out_path, pid_path = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
os.chmod(sock_path, 0o666)
signal.alarm(600)
with open(pid_path, "w") as f:
    f.write(str(os.getpid()))
with open(out_path, "ab", buffering=0) as out:
    while True:
        data = s.recv(65536)
        out.write(data.replace(b"\n", b" ") + b"\n")
