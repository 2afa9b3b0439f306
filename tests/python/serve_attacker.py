"""Another local user against `wktui serve` (run as that user by
tests/serve_boundary.rs and benches/serve_attack.sh).

  pipeline HOST PORT COUNT SECONDS   COUNT connections, each sending four
                                     wrong-secret token requests every 100 ms
                                     without reading; reopened when closed
  idle HOST PORT COUNT SECONDS       COUNT idle connections, reopened when closed
  flood HOST PORT SECONDS [ask]      new connections as fast as it can
                                     (non-blocking connects, closed 400 at a
                                     time, 800 open at most) until SECONDS
                                     have passed or SIGTERM comes; with "ask"
                                     each sends a health request and is read
                                     before it is closed
  capture PORT SECONDS               listens on 127.0.0.1:PORT (serve's port
                                     while it is down) and prints the first
                                     request's body
  replay HOST PORT BODY              sends BODY to the token path, prints the
                                     answer's status line or "closed"

pipeline, idle and flood print one JSON line at the end: how many
connections were opened (flood: connects started) and how many HTTP answers
came back.
"""

import json
import signal
import socket
import sys
import time


def wrong_secret_request(host, port):
    body = "grant_type=client_credentials&client_id=prod&client_secret=wktui_wrong"
    return (
        f"POST /oauth2/token HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def hold(host, port, count, seconds, payload):
    connects = 0
    answers = 0

    def connect():
        nonlocal connects
        try:
            s = socket.create_connection((host, port), timeout=1)
        except OSError:
            return None
        s.setblocking(False)
        connects += 1
        return s

    conns = [connect() for _ in range(count)]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for i, s in enumerate(conns):
            alive = s is not None
            if alive:
                try:
                    data = s.recv(65536)
                    answers += data.count(b"HTTP/1.1 ")
                    alive = len(data) > 0
                except BlockingIOError:
                    pass
                except OSError:
                    alive = False
            if alive and payload:
                try:
                    s.send(payload)
                except BlockingIOError:
                    pass
                except OSError:
                    alive = False
            if not alive:
                if s is not None:
                    s.close()
                conns[i] = connect()
        time.sleep(0.1)
    print(json.dumps({"connects": connects, "answers": answers}), flush=True)


def flood(host, port, seconds, ask):
    connects = 0
    answers = 0
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    open_now = []

    def read_answers(batch):
        nonlocal answers
        for s in batch:
            try:
                answers += s.recv(65536).count(b"HTTP/1.1 ")
            except OSError:
                pass

    end = time.monotonic() + seconds
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    while time.monotonic() < end and not stopped:
        try:
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect((host, port))
            except BlockingIOError:
                pass
            open_now.append(s)
            connects += 1
        except OSError:
            for s in open_now:
                s.close()
            open_now = []
        if len(open_now) > 800:
            oldest, next_batch = open_now[:400], open_now[400:]
            if ask:
                read_answers(oldest)
                for s in next_batch:
                    try:
                        s.send(request)
                    except OSError:
                        pass
            for s in oldest:
                s.close()
            open_now = next_batch
    if ask:
        time.sleep(0.5)
        read_answers(open_now)
    for s in open_now:
        s.close()
    print(json.dumps({"connects": connects, "answers": answers}), flush=True)


def capture(port, seconds):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen()
    listener.settimeout(seconds)
    print("listening", flush=True)
    conn, _ = listener.accept()
    conn.settimeout(2)
    data = b""
    try:
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < body_length(data):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.close()
    listener.close()
    print(data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace"), flush=True)


def body_length(data):
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def replay(host, port, body):
    request = (
        f"POST /oauth2/token HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(request)
        answer = s.recv(65536)
    except OSError:
        answer = b""
    line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    print(line if line else "closed", flush=True)


def main():
    mode = sys.argv[1]
    if mode in ("pipeline", "idle"):
        host, port, count, seconds = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        payload = wrong_secret_request(host, port) * 4 if mode == "pipeline" else b""
        hold(host, port, count, seconds, payload)
    elif mode == "flood":
        host, port, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        flood(host, port, seconds, sys.argv[5:6] == ["ask"])
    elif mode == "capture":
        capture(int(sys.argv[2]), float(sys.argv[3]))
    elif mode == "replay":
        replay(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
