"""A raw HTTP server on 127.0.0.1, in a thread, for faults a well-behaved server never makes.

`cli.main` runs its own event loop, so the server lives in a thread. Each connection is
answered by one `Step` of a script (the last one repeats): a raw response, a connection that
hangs until the test ends, a reset in the middle of the body, or a close before it is complete.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    kind: str
    """`answer`, `hang`, `reset` (RST in the middle of the body) or `close` (FIN before its end)."""
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def answer(status: int, body: bytes = b"", **headers: str) -> Step:
    return Step("answer", status, body, tuple((k.replace("_", "-"), v) for k, v in headers.items()))


HANG = Step("hang")


def reset_mid_body(body: bytes) -> Step:
    return Step("reset", 200, body)


def close_mid_body(body: bytes) -> Step:
    return Step("close", 200, body)


@dataclass
class RawServer:
    steps: list[Step]
    url: str = ""
    requests: list[bytes] = field(default_factory=list)
    """The requests for the run (the first `GET …/orchestration/runs/…` asked for, and again):
    each is answered by the next step."""
    other_requests: list[bytes] = field(default_factory=list)
    """Requests for anything else (a trace, a list of runs, another run): answered 404, as by an
    API without those endpoints or runs, so they take no step of the script."""
    run_line: bytes | None = None
    _release: threading.Event = field(default_factory=threading.Event)

    def _head(self, step: Step, length: int) -> bytes:
        lines = [f"HTTP/1.1 {step.status} Whatever", f"Content-Length: {length}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in step.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            line = data.split(b"\r\n", 1)[0]
            if self.run_line is None and line.startswith(b"GET ") and b"/orchestration/runs/" in line:
                self.run_line = line
            if line != self.run_line:
                self.other_requests.append(data)
                body = b'{"errorMessage": "Route not found", "reason": "notFound"}'
                conn.sendall(self._head(Step("answer", 404), len(body)) + body)
                return
            step = self.steps[min(len(self.requests), len(self.steps) - 1)]
            self.requests.append(data)
            if step.kind == "hang":
                self._release.wait(30)
            elif step.kind == "answer":
                conn.sendall(self._head(step, len(step.body)) + step.body)
            else:  # reset / close: promise the whole body, send a third of it, then go
                conn.sendall(self._head(step, len(step.body)) + step.body[: len(step.body) // 3])
                if step.kind == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@contextmanager
def raw_server(*steps: Step) -> Iterator[RawServer]:
    server = RawServer(list(steps))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    server.url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=server.serve, args=(conn,), daemon=True)
            worker.start()
            workers.append(worker)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        server._release.set()
        listener.close()  # wakes the accept loop at once
        thread.join(5)
        for worker in workers:
            worker.join(5)


def closed_port() -> int:
    """A port nothing listens on (bound, then released before use)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
