#!/usr/bin/env python3
"""cyrus-sample.py SERVER-COMMAND CLIENT-COMMAND MECH

Connects Cyrus SASL's sasl-sample-server (its "S: "/"C: " base64 line
protocol) to `test-sasl drive` (mailout's SASL client). Prints the outcome:
"complete DONE 1" when the server accepted and the client verified the
server (DONE 0: the client did not finish, e.g. no SCRAM signature seen),
"server-error ..." or "client-error ..." otherwise. The transcript goes to
stderr."""
import subprocess, sys, base64, os
server_cmd, client_cmd = sys.argv[1], sys.argv[2]
srv = subprocess.Popen(server_cmd, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
cli = subprocess.Popen(client_cmd, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
mech = sys.argv[3]
def srv_line():
    l = srv.stdout.readline()
    sys.stderr.write("server: " + l)
    return l
# read until the mech list
while True:
    l = srv_line()
    if not l: sys.exit(3)
    if l.startswith('S: '): break
init = cli.stdout.readline().split()
sys.stderr.write("client: %s\n" % init)
first = mech.encode()
if init[1] != '-':
    first += b'\0' + base64.b64decode(init[1])
srv.stdin.write('C: ' + base64.b64encode(first).decode() + '\n')
srv.stdin.flush()
result = 'unknown'
while True:
    l = srv_line()
    if not l: break
    if l.startswith('S: '):
        cli.stdin.write((l[3:].strip() or '-') + '\n'); cli.stdin.flush()
        r = cli.stdout.readline()
        sys.stderr.write("client: " + r)
        if r.startswith('E '):
            result = 'client-error ' + r.strip(); break
        v = r.split()[1]
        srv.stdin.write('C: ' + ('' if v == '-' else v) + '\n'); srv.stdin.flush()
    elif 'Negotiation complete' in l:
        result = 'complete'; break
    elif 'authentication failure' in l.lower() or 'sasl-sample-server:' in l:
        result = 'server-error ' + l.strip(); break
cli.stdin.write('DONE\n'); cli.stdin.flush()
done = cli.stdout.readline().strip()
print(result, done)
srv.kill(); cli.kill()
