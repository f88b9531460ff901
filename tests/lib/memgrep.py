#!/usr/bin/python3
"""memgrep.py PID STRING: count STRING in the readable memory of process PID
(as root). Prints "N matches"; exits 2 when the memory cannot be read at all
(no CAP_SYS_PTRACE in a container, for example)."""
import sys
pid, needle = sys.argv[1], sys.argv[2].encode()
count, readable = 0, 0
try:
    maps = open(f"/proc/{pid}/maps").read().splitlines()
    mem = open(f"/proc/{pid}/mem", "rb", 0)
except OSError as e:
    print(e); sys.exit(2)
for line in maps:
    addr, perms = line.split()[:2]
    if not perms.startswith("r"):
        continue
    lo, hi = (int(x, 16) for x in addr.split("-"))
    try:
        mem.seek(lo); data = mem.read(hi - lo)
    except (OSError, OverflowError, ValueError):
        continue
    readable += 1
    count += data.count(needle)
if readable == 0:
    print("no mapping could be read"); sys.exit(2)
print(f"{count} matches")
