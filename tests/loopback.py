"""A real HTTP server on 127.0.0.1 whose run advances one step on each request."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def serve(
    respond: Callable[[int, str, dict[str, str]], tuple[int, bytes]],
) -> Iterator[tuple[str, list[str]]]:
    """Serve `respond(request_number, path, headers) -> (status, body)`; yields (base URL, paths seen)."""
    seen: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                number = len(seen)
                seen.append(self.path)
            status, body = respond(number, self.path, dict(self.headers))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def advancing_run(steps: list[dict[str, Any]]) -> Callable[[int, str, dict[str, str]], tuple[int, bytes]]:
    """Step N of the run on request N (the last step repeats)."""

    def respond(number: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        return 200, json.dumps(steps[min(number, len(steps) - 1)]).encode()

    return respond
