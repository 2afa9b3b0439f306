"""Counts every SIGINT this process receives, one by one: the C-level
handler writes a byte per delivery to a wakeup pipe, so two signals are two
bytes even if Python would run its handler once. Prints "ready", then waits
for the first SIGINT (at most SECONDS, default 30) and one more second for a
second one, prints "ints=N" and exits with 5."""

import os
import select
import signal
import sys
import time

read_end, write_end = os.pipe()
os.set_blocking(read_end, False)
os.set_blocking(write_end, False)
signal.signal(signal.SIGINT, lambda *_: None)
signal.set_wakeup_fd(write_end)
print("ready", flush=True)
count = 0
deadline = time.monotonic() + float(sys.argv[1] if len(sys.argv) > 1 else 30)
while time.monotonic() < deadline:
    select.select([read_end], [], [], 0.1)
    try:
        got = len(os.read(read_end, 100))
    except BlockingIOError:
        got = 0
    if got and count == 0:
        deadline = time.monotonic() + 1.0
    count += got
print(f"ints={count}", flush=True)
sys.exit(5)
