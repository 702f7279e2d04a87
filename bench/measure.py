#!/usr/bin/env python3
"""Run a command and write "wall user sys maxrss_kb" for it to a file (bench/peers.sh).

Usage: measure.py TIMEFILE CMD [ARGS...]   (the command's stdout/stderr are inherited)

CPU times come from wait4(2)'s rusage, which Linux fills from the scheduler's nanosecond
run-time accounting, so they have microsecond resolution instead of GNU time's two decimals
(10 ms, too coarse for a listing that takes a few hundredths of a second). The exit status is
the command's.

Peak RSS comes from GNU time (/usr/bin/time -f %M), which this script runs around the command:
a process forked from Python would carry Python's own resident high-water mark through exec
(Linux keeps the larger of the two), whereas GNU time is small. Its CPU time, a few
microseconds, is included in the rusage of the command it waits for.
"""
import os
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out, cmd = sys.argv[1], sys.argv[2:]
    rss_file = out + ".rss"
    cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd]
    start = time.monotonic()
    proc = subprocess.Popen(cmd)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(rss_file) as f:
        rss_kb = int(f.read().split()[-1])
    with open(out, "w") as f:
        f.write(f"{wall:.4f} {ru.ru_utime:.6f} {ru.ru_stime:.6f} {rss_kb}\n")
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


if __name__ == "__main__":
    sys.exit(main())
