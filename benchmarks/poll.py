"""CPU per poll of an unchanged running run, through the real client and a loopback server.

    python -m benchmarks.poll                 # L, 6 polls at --interval 1 each way
    python -m benchmarks.poll --size M --polls 10

A running run that does not change is what a user leaves open most: every `--interval`
seconds the poller fetches the whole body again and finds it byte-for-byte the same. What
that costs is CPU, not wall time (the loop sleeps between polls), so this measures
`time.process_time` (every thread of this process) across a number of polls and divides:

* **poller**: the real `Poller` as the TUI's feed makes it (`findings=True`, a worker thread,
  `gc.freeze` of the first snapshot) over the real `CargoClient` and `ApiSource`, polling at
  `interval=1` an `http.server` on 127.0.0.1 in a thread, which answers every GET with the
  same body gzip-compressed (compressed once beforehand; Cargo's API sends gzip). The
  server thread's own CPU (`time.thread_time` inside its handler) is subtracted.
* **the app**: `make_app(ApiSource(...), interval=1)` under `run_test`, the same server, the
  header's "updated HH:MM:SS" changing at each poll; and the app alone with polling paused
  (`p`), CPU per second: what the app costs when nothing is fetched.

The floor is one in-process `json.loads` of the decompressed bytes, CPU time, the median of
runs taken before and after the polls (polls run at 1 s intervals: they cannot be paired one
to one with a floor without the floor's CPU landing inside the window).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as `python benchmarks/poll.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.run import Row, fmt_seconds, format_row  # noqa: E402
from run_inspector.client import CargoClient  # noqa: E402
from run_inspector.config import Secret  # noqa: E402
from run_inspector.poller import Poller, Snapshot  # noqa: E402
from run_inspector.source import ApiSource  # noqa: E402

INTERVAL = 1.0
TARGET = 0.3
"""Issue 16: CPU per unchanged poll of L at --interval 1 ≤ 0.3x one json.loads of its bytes."""
TOKEN = Secret("bench-token-0123456789abcdef0123456789")  # long enough for the client's echo hiding


@dataclass
class Server:
    url: str
    requests: int = 0
    cpu: float = 0.0
    """CPU seconds the handler threads spent answering (subtracted from the process's)."""


@contextmanager
def serve_gzip(body: bytes) -> Iterator[Server]:
    """A loopback HTTP/1.1 server answering every GET with `body`, gzip-compressed."""
    compressed = gzip.compress(body, compresslevel=6)
    lock = threading.Lock()
    server_state = Server("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real API behind a proxy

        def do_GET(self) -> None:
            started = time.thread_time()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(compressed)))
            self.end_headers()
            self.wfile.write(compressed)
            self.wfile.flush()
            with lock:
                server_state.requests += 1
                server_state.cpu += time.thread_time() - started

        def log_message(self, format: str, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    http.daemon_threads = True
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True)
    thread.start()
    server_state.url = f"http://127.0.0.1:{http.server_address[1]}/v1"
    try:
        yield server_state
    finally:
        http.shutdown()
        http.server_close()


def loads_cpu(body: bytes, repeats: int) -> list[float]:
    """CPU seconds of `json.loads(body)`, each."""
    out = []
    for _ in range(repeats):
        gc.collect()
        started = time.process_time()
        json.loads(body)
        out.append(time.process_time() - started)
    return out


def _source(server: Server, run_uuid: str) -> ApiSource:
    client = CargoClient(server.url, TOKEN)
    return ApiSource(client, run_uuid, server.url)


async def _wait(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the polls did not come")
        await asyncio.sleep(0.01)


@dataclass
class Window:
    """CPU over some polls (or seconds) of an already open run."""

    cpu: float
    server_cpu: float
    polls: int
    seconds: float
    unchanged: int = 0

    @property
    def per_poll(self) -> float:
        return (self.cpu - self.server_cpu) / max(self.polls, 1)


async def _measure(polls_done: Callable[[], int], polls: int, server: Server, timeout: float) -> Window:
    """From the end of one poll, CPU until `polls` more have ended."""
    first = polls_done()
    await _wait(lambda: polls_done() > first, timeout)  # start right after a poll ended
    start_polls = polls_done()
    cpu, server_cpu, wall = time.process_time(), server.cpu, time.perf_counter()
    await _wait(lambda: polls_done() >= start_polls + polls, timeout + polls * INTERVAL * 3)
    return Window(time.process_time() - cpu, server.cpu - server_cpu, polls_done() - start_polls,
                  time.perf_counter() - wall)


async def poller_window(server: Server, run_uuid: str, polls: int) -> Window:
    """The real poller at `--interval 1`, as the TUI's feed makes it, without the app."""
    snapshots: list[Snapshot] = []
    source = _source(server, run_uuid)
    poller = Poller(source, run_uuid, interval=INTERVAL, on_snapshot=snapshots.append, findings=True)
    task = asyncio.get_running_loop().create_task(poller.run())
    try:
        await _wait(lambda: bool(snapshots), 120)
        window = await _measure(lambda: poller.status.polls, polls, server, 120)
        window.unchanged = poller.status.unchanged
        return window
    finally:
        poller.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await source.aclose()


@dataclass
class AppWindows:
    polling: Window
    paused: Window
    headers: int
    """How many different header texts ("updated HH:MM:SS") were seen during the polls."""


async def app_windows(server: Server, run_uuid: str, polls: int) -> AppWindows:
    """The app on the same server at `--interval 1`: CPU per poll, then per second paused."""
    from benchmarks.tui import SIZE, _painted, _shows_run, send_key
    from run_inspector.ui.app import make_app

    app: Any = make_app(_source(server, run_uuid), interval=INTERVAL)
    async with app.run_test(size=SIZE):
        await _wait(lambda: _shows_run(app), 120)
        await _painted(app)
        poller = app.feed.poller
        seen: set[str] = set()
        header = app.header

        async def watch_header() -> None:
            while True:
                seen.add(str(header.content))
                await asyncio.sleep(0.25)

        watcher = asyncio.get_running_loop().create_task(watch_header())
        try:
            polling = await _measure(lambda: poller.status.polls, polls, server, 120)
        finally:
            watcher.cancel()
        polling.unchanged = poller.status.unchanged
        send_key(app, "p")
        await _wait(lambda: poller.paused, 10)
        await asyncio.sleep(0.5)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(polls * INTERVAL)
        paused = Window(time.process_time() - cpu, 0.0, polls, time.perf_counter() - wall)
    return AppWindows(polling, paused, len(seen))


def rows(body: bytes, polls: int = 6) -> list[Row]:
    """The idle-poll rows: the poller alone, with the app, and the app paused."""
    run_uuid = json.loads(body)["run"]["uuid"]
    floors = loads_cpu(body, 5)
    with serve_gzip(body) as server:
        core = asyncio.run(poller_window(server, run_uuid, polls))
        gc.unfreeze()
        floors += loads_cpu(body, 3)
        with_app = asyncio.run(app_windows(server, run_uuid, polls))
        gc.unfreeze()
    floors += loads_cpu(body, 5)
    floor = statistics.median(floors)
    share = with_app.polling.per_poll - core.per_poll
    return [
        Row("idle poll: CPU per unchanged poll (poller)", core.per_poll, floor, target=TARGET,
            note=f"Poller over CargoClient + loopback gzip server, --interval 1; {core.polls} polls in "
                 f"{core.seconds:.1f} s, {core.unchanged} unchanged; server's CPU "
                 f"{fmt_seconds(core.server_cpu / max(core.polls, 1))}/poll subtracted; floor: json.loads CPU"),
        Row("idle poll: CPU per unchanged poll (the app)", with_app.polling.per_poll, floor, target=TARGET,
            note=f"make_app(ApiSource) under run_test; the app's share {fmt_seconds(share)}/poll "
                 f"({share / floor:.2f}x); {with_app.headers} header texts seen over {with_app.polling.polls} polls"),
        Row("idle: the app's CPU per second, polling paused", with_app.paused.cpu / with_app.paused.seconds, floor,
            note="what the app costs with nothing fetched (timers, repaints)"),
    ]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.generate import SIZES, generate_size, to_bytes

    parser = argparse.ArgumentParser(prog="python -m benchmarks.poll", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="L", help=f"one of {', '.join(SIZES)} (default L)")
    parser.add_argument("--polls", type=int, default=6, help="polls measured each way (default 6)")
    args = parser.parse_args(argv)
    body = to_bytes(generate_size(args.size))
    print(f"== {args.size}: {len(body) / 2**20:.1f} MiB of JSON, polled at --interval {INTERVAL:g} ==")
    for row in rows(body, args.polls):
        print(format_row(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
