"""The simulated Cargo API (`run_inspector.cargo_sim`) behind a real HTTP server on 127.0.0.1,
for tests where the real network path matters (the client's timeouts, headers, retries)::

    with cargo_server(group_items_world().world) as (base_url, sim):
        ...  # base_url is "http://127.0.0.1:PORT/v1"; sim.requests records what was sent
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from run_inspector.cargo_sim import CargoSim, World


@contextmanager
def cargo_server(world: World | CargoSim | None = None, **options: Any) -> Iterator[tuple[str, CargoSim]]:
    """Serve a world (or a ready sim; `options` go to `CargoSim`); yields (base URL, sim)."""
    sim = world if isinstance(world, CargoSim) else CargoSim(world, **options)

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            path = unquote(urlsplit(self.path).path)
            response = sim.handle(self.command, path, body, dict(self.headers))
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", sim
    finally:
        server.shutdown()
        server.server_close()
