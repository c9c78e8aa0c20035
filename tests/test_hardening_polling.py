"""Issue 14, polling: waits that never reach zero, the run that answers is the one asked for,
and a run whose status is unknown still ends. Against real loopback servers where time matters."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time

import pytest

from run_inspector.client import CargoClient
from run_inspector.config import Secret
from run_inspector.errors import RateLimitedError
from run_inspector.poller import Poller
from run_inspector.source import ApiSource
from run_inspector.watch import Watcher

from .rawserver import answer, raw_server

TOKEN = "polling-token-0123456789"
RUN = "run-failed-0001"


async def _count_requests(step_headers: dict[str, str], *, watch: bool, window: float) -> tuple[int, float]:
    """Requests a poller (or `--watch`'s Watcher) makes in `window` seconds against a server
    that always answers 429 with `step_headers`, and the seconds that really passed."""
    with raw_server(answer(429, b"", **step_headers)) as server:
        client = CargoClient(server.url, Secret(TOKEN), retries=1)
        source = ApiSource(client, RUN, server.url)
        if watch:
            runner = Watcher(source, RUN, io.StringIO(), io.StringIO(), interval=0.05).run()
        else:
            runner = Poller(source, RUN, interval=0.05, on_snapshot=lambda snapshot: None).run()
        started = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(runner, window)
        elapsed = time.monotonic() - started
        await client.aclose()
        return len(server.requests), elapsed


@pytest.mark.parametrize("retry_after", ["0", "0.001", "Thu, 01 Jan 1970 00:00:00 GMT"])
@pytest.mark.parametrize("watch", [False, True], ids=["poller", "watch"])
async def test_a_server_asking_for_no_wait_is_not_hammered(retry_after: str, watch: bool) -> None:
    """Every wait after a 429 is at least a second (client retry and poller back-off alike): in
    a window of W seconds at most W + 1 waits end, each with at most two requests (one client
    retry). Before the floor: 2,123 requests in 10 s in the TUI, 40 in 0.5 s in --watch."""
    requests, elapsed = await _count_requests({"Retry-After": retry_after}, watch=watch, window=1.5)
    assert 1 <= requests <= 2 * (elapsed / RateLimitedError.min_wait + 1)
