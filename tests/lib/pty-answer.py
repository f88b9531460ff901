#!/usr/bin/env python3
"""pty-answer.py TRANSCRIPT ANSWER... -- COMMAND...

Runs COMMAND with a new pseudo-terminal as its controlling terminal (as a
user at a terminal would). Each time the command's output ends with ": "
(a prompt), the next ANSWER is typed, followed by Enter. Everything the
terminal shows goes to TRANSCRIPT. Exits with the command's status.
Gives up after 20 seconds."""
import os, pty, sys, select, time

args = sys.argv[1:]
sep = args.index('--')
transcript, answers, command = args[0], args[1:sep], args[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)
seen = b''
pending = b''
deadline = time.time() + 20
with open(transcript, 'wb') as log:
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if fd in r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            log.write(data)
            pending += data
            if pending.endswith(b': ') and answers:
                time.sleep(0.1)   # the program switches echo off after the prompt
                os.write(fd, answers.pop(0).encode() + b'\n')
                pending = b''
    else:
        os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
