"""The legitimate client of benches/serve_flood.sh: for SECONDS, a token on
a new connection (Connection: close), then 50 ms of rest, again and again;
each one waits up to 30 s (the kernel's own SYN retries included). Prints
how many tokens came, how many requests failed (and why), tokens/s, and the p50, p99
and longest time from connect to the whole answer.

  python3 serve_flood_client.py HOST PORT CLIENT_ID SECONDS
  (the local secret in WKTUI_BENCH_SECRET)
"""

import os
import socket
import sys
import time


def main():
    host, port, client_id, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    secret = os.environ["WKTUI_BENCH_SECRET"]
    body = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}".encode()
    request = (
        f"POST /oauth2/token HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    took, fails = [], {}
    started = time.monotonic()
    end = started + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        answer, why = b"", None
        try:
            with socket.create_connection((host, port), timeout=30) as s:
                s.sendall(request)
                while chunk := s.recv(65536):
                    answer += chunk
        except OSError as e:
            why = type(e).__name__
        if b"access_token" in answer:
            took.append(time.monotonic() - t)
        else:
            why = why or answer.split(b"\r\n", 1)[0].decode(errors="replace") or "closed unanswered"
            fails[why] = fails.get(why, 0) + 1
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    took.sort()
    ms = lambda q: took[min(len(took) - 1, int(len(took) * q))] * 1000 if took else float("nan")
    print(
        f"{len(took)} tokens, {sum(fails.values())} failed, {len(took) / elapsed:.1f} tokens/s, "
        f"p50 {ms(0.5):.1f} ms, p99 {ms(0.99):.1f} ms, max {ms(1.0):.1f} ms"
        + "".join(f" ({n} {why})" for why, n in fails.items())
    )


if __name__ == "__main__":
    main()
