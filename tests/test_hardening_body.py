"""Issue 14, bounded bodies: a response or file larger than `--max-body` once decoded is refused
after reading no more than that, with one clear line (exit 3), and a poller keeps its run.

The servers stream lazily: a gzip bomb (2 MB of gzip inflating to 2 GB) and a 1 GB chunked
body are generated as they are sent, and stop when the client hangs up.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import subprocess
import sys
import textwrap
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from run_inspector import cli
from run_inspector.client import CargoClient
from run_inspector.errors import MIB, BodyTooLargeError, InvalidResponseError, ServerError
from run_inspector.poller import Poller
from run_inspector.source import ApiSource, FileSource

from .helpers import fixture_bytes
from .test_faults import fast_poller  # noqa: F401  (a fixture: --watch gives up after 3 tries, at once)

BODY = fixture_bytes("failed_run.json")
RUN = "run-failed-0001"

Chunks = Callable[[], Iterator[bytes]]


def gzip_bomb(gigabytes: float = 2.0) -> Iterator[bytes]:
    """A gzip stream of zeros, 1 MiB at a time: ~1 KB of gzip per MiB, made as it is sent."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    yield compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    for _ in range(int(gigabytes * 1024) - 1):
        yield repeated


def huge(gigabytes: float = 1.0) -> Iterator[bytes]:
    piece = b"x" * (64 * 1024)
    for _ in range(int(gigabytes * 1024 * 16)):
        yield piece


@dataclass
class StreamServer:
    url: str = ""
    sent: dict[str, int] = field(default_factory=dict)
    """Bytes of body sent for each route, so far."""


@contextmanager
def stream_server(routes: dict[str, tuple[int, dict[str, str], Chunks]]) -> Iterator[StreamServer]:
    """Answers GET .../runs/<name> with `routes[name]`: (status, headers, chunks), chunked, lazily."""
    server = StreamServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            status, headers, chunks = routes[name]
            self.send_response(status)
            for key, value in {**headers, "Transfer-Encoding": "chunked", "Connection": "close"}.items():
                self.send_header(key, value)
            self.end_headers()
            server.sent[name] = 0
            try:
                for piece in chunks():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    server.sent[name] += len(piece)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the client hung up: what it needed was read

        def log_message(self, format: str, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{http.server_address[1]}/v1"
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()


def once(data: bytes) -> Chunks:
    return lambda: iter([data])


GZIP = {"Content-Encoding": "gzip"}
ROUTES: dict[str, tuple[int, dict[str, str], Chunks]] = {
    "small": (200, {}, once(BODY)),
    "bomb": (200, GZIP, gzip_bomb),
    "huge": (200, {}, huge),
    "gzip": (200, GZIP, once(gzip.compress(BODY))),
    "deflate": (200, {"Content-Encoding": "deflate"}, once(zlib.compress(BODY))),
    "raw-deflate": (200, {"Content-Encoding": "deflate"}, once(zlib.compress(BODY, wbits=-15))),
    "gzip-twice": (200, {"Content-Encoding": "gzip, gzip"}, once(gzip.compress(gzip.compress(BODY)))),
    "brotli": (200, {"Content-Encoding": "br"}, once(b"\x0b\x02\x80hello\x03")),
    "huge-error": (500, {}, huge),
    "near-limit": (200, {}, lambda: iter([b"x" * (14 * MIB)])),
}


# -- memory ----------------------------------------------------------------------------------------

MEASURE = textwrap.dedent(
    """
    import asyncio, json, sys
    from run_inspector.client import CargoClient
    from run_inspector.errors import BodyTooLargeError

    def kilobytes(key):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])

    async def main(url, limit, name):
        async with CargoClient(url, None, max_body=limit, retries=0) as client:
            await client.fetch_run_bytes("small")  # the first request's imports and buffers
            baseline = kilobytes("VmRSS")
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # VmHWM starts again from here
            try:
                body = await client.fetch_run_bytes(name)
                outcome = f"read {len(body)}"
            except BodyTooLargeError:
                outcome = "refused"
            growth = (kilobytes("VmHWM") - baseline) * 1024
        print(json.dumps({"outcome": outcome, "growth": growth}))

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
    """
)
LIMIT = 16 * MIB


def peak_growth(url: str, name: str) -> tuple[str, int]:
    """The outcome of fetching `name` in a fresh process, and how far its peak RSS rose."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, url, str(LIMIT), name], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    return result["outcome"], result["growth"]


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
def test_peak_memory_for_a_gzip_bomb_and_a_huge_body_stays_under_twice_the_limit() -> None:
    """Before: 2 MB of gzip became 2 GB in memory, and a 1 GB chunked body was read whole. The
    control (a body just under the limit, kept) shows the measure sees a body's memory."""
    with stream_server(ROUTES) as server:
        kept, kept_growth = peak_growth(server.url, "near-limit")
        bomb, bomb_growth = peak_growth(server.url, "bomb")
        endless, endless_growth = peak_growth(server.url, "huge")
    assert kept == f"read {14 * MIB}" and kept_growth > 0.8 * LIMIT
    assert bomb == "refused" and bomb_growth < 2 * LIMIT, bomb_growth / LIMIT
    assert endless == "refused" and endless_growth < 2 * LIMIT, endless_growth / LIMIT
    assert server.sent["huge"] < 1024 * MIB  # the client hung up long before the end


# -- the client ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gzip", "deflate", "raw-deflate", "gzip-twice"])
async def test_compressed_bodies_are_decoded(name: str) -> None:
    with stream_server(ROUTES) as server:
        async with CargoClient(server.url, None, retries=0) as client:
            assert await client.fetch_run_bytes(name) == BODY


async def test_an_encoding_that_is_not_asked_for_is_refused_clearly() -> None:
    with stream_server(ROUTES) as server:
        async with CargoClient(server.url, None, retries=0) as client:
            with pytest.raises(InvalidResponseError) as caught:
                await client.fetch_run_bytes("brotli")
    assert "compressed as 'br'" in caught.value.message


async def test_an_error_answer_is_read_for_its_message_only() -> None:
    """A 500 with an endless body: its first 64 KB are read (not JSON: no message), no more."""
    with stream_server(ROUTES) as server:
        async with CargoClient(server.url, None, retries=0) as client:
            with pytest.raises(ServerError) as caught:
                await client.fetch_run_bytes("huge-error")
    assert caught.value.message == "the API failed with a server error (500)"
    assert server.sent["huge-error"] < 64 * MIB


async def test_the_accept_encoding_asks_only_for_what_is_decoded_in_bounded_pieces() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=BODY)

    async with CargoClient("https://api.example.test/v1", None, transport=httpx.MockTransport(handler)) as client:
        await client.fetch_run_bytes(RUN)
    assert seen[0].headers["accept-encoding"] == "gzip, deflate"


# -- the command line ----------------------------------------------------------------------------


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), environ={"CARGO_API_TOKEN": "body-limit-token-0123"}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


LINE = (
    "run-inspector: {what} is larger than the 1 MB limit (if the run really is that big, raise it "
    "with --max-body MB or RUN_INSPECTOR_MAX_BODY_MB)\n"
)


@pytest.mark.usefixtures("fast_poller")
@pytest.mark.parametrize("name", ["bomb", "huge"])
@pytest.mark.parametrize("mode", ["--print", "--json", "--watch"])
def test_a_body_past_the_limit_is_one_clear_line_and_exit_3(name: str, mode: str) -> None:
    with stream_server(ROUTES) as server:
        code, out, err = invoke(name, mode, "--api-url", server.url, "--max-body", "1")
    assert (code, out) == (3, "")
    line = LINE.format(what="the response")
    assert err == line if mode != "--watch" else err.endswith(line) and err.count("\n") == 2


def test_a_file_past_the_limit_is_refused_after_reading_one_byte_more(tmp_path: Path) -> None:
    code, out, err = invoke("--file", "/dev/zero", "--print", "--max-body", "1")
    assert (code, out, err) == (3, "", LINE.format(what="/dev/zero"))
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MIB + 1))
    with pytest.raises(BodyTooLargeError):
        FileSource.open(str(big), max_body=MIB)
    big.write_bytes(BODY)
    assert FileSource.open(str(big), max_body=len(BODY)).body == BODY


def test_standard_input_past_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stdin:
        buffer = io.BytesIO(b" " * (MIB + 10))

    monkeypatch.setattr(sys, "stdin", Stdin)
    code, out, err = invoke("--file", "-", "--json", "--max-body", "1")
    assert (code, out, err) == (3, "", LINE.format(what="standard input"))
    assert Stdin.buffer.tell() == MIB + 1


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf"])
def test_a_bad_body_limit_is_a_usage_error(value: str) -> None:
    code, _, err = invoke("--demo", "--print", f"--max-body={value}")
    assert code == 2 and "--max-body must be a positive number of megabytes" in err


def test_the_body_limit_can_come_from_the_environment() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["--file", "/dev/zero", "--print"], environ={"RUN_INSPECTOR_MAX_BODY_MB": "0.5"}, out=out, err=err
    )
    assert code == 3 and "larger than the 0.5 MB limit" in err.getvalue()


def test_the_body_limit_is_in_the_help() -> None:
    assert "--max-body MB" in cli.build_parser().format_help()


# -- the poller keeps its run ---------------------------------------------------------------------


async def test_a_poller_keeps_its_run_when_a_later_body_is_too_large() -> None:
    running = json.loads(BODY)
    running["run"]["status"] = "running"
    answers = iter([json.dumps(running).encode(), b"x" * (2 * MIB)])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=next(answers))

    client = CargoClient("https://api.example.test/v1", None, transport=httpx.MockTransport(handler), max_body=MIB)
    states: list[str] = []
    poller = Poller(
        ApiSource(client, RUN, "test"),
        RUN,
        interval=0.01,
        on_snapshot=lambda snapshot: None,
        on_status=lambda status: states.append(status.state),
        sleep=lambda seconds: asyncio.sleep(0),
    )
    await poller.poll_once()
    with pytest.raises(BodyTooLargeError):
        await poller.poll_once()
    assert poller.graph is not None and poller.graph.run.uuid == RUN
    delay, give_up = poller._on_error(BodyTooLargeError("the response", MIB), 0)
    assert not give_up and delay > 0  # retried later, as a stale fault
