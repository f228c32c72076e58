#!/usr/bin/env python3
"""When a server about to start first answers: polls GET PATH on 127.0.0.1:PORT every millisecond and prints the wall
clock (nanoseconds since the epoch, the clock of bash's `date +%s%N`) at which the first HTTP status line arrived,
whatever the status. Start it before the server: it creates READY_FILE once it is polling (Python itself takes
~0.4 s to start on this VM), and reads the server's PID from PID_FILE once that exists, to give up (exit 1) when the
server dies; it also gives up after TIMEOUT seconds.

    bench/lib/first-answer.py PORT PATH TIMEOUT READY_FILE PID_FILE

bench/run.sh's "start -> first request" subtracts the time it took just before starting the server. This replaces a
bash loop over /dev/tcp followed by one curl, which added ~40 ms (curl's own start here) and ~30 ms of polling to
every start it measured: the .NET floor, which answers 55-70 ms after its start, read 165-309 ms that way.
"""
import os
import socket
import sys
import time


def main():
    port, path, timeout, ready_file, pid_file = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    deadline = time.monotonic() + timeout
    pid = None
    open(ready_file, "w").close()
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(request)
                if s.recv(16).startswith(b"HTTP/1."):
                    print(time.time_ns())
                    return 0
        except OSError:
            pass
        if pid is None and os.path.exists(pid_file):
            with open(pid_file) as f:
                pid = int(f.read().strip() or 0) or None
        if pid is not None:
            try:
                os.kill(pid, 0)
            except OSError:
                return 1
        time.sleep(0.001)
    return 1


if __name__ == "__main__":
    sys.exit(main())
