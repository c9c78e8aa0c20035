"""Issue 14, polling: waits that never reach zero, the run that answers is the one asked for,
and a run whose status is unknown still ends. Against real loopback servers where time matters."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time

import pytest

from run_inspector import cli
from run_inspector.client import CargoClient
from run_inspector.config import Secret
from run_inspector.errors import RateLimitedError
from run_inspector.poller import Poller
from run_inspector.source import ApiSource
from run_inspector.watch import Watcher

from .helpers import fixture_bytes
from .rawserver import answer, raw_server
from .test_faults import fast_poller  # noqa: F401  (a fixture)

TOKEN = "polling-token-0123456789"
RUN = "run-failed-0001"
BODY = fixture_bytes("failed_run.json")


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


# -- --watch: another run's answer, and a status nobody knows ------------------------------------------


def watch_cli(server_url: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([RUN, "--watch", "--api-url", server_url], environ={"CARGO_API_TOKEN": TOKEN}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def version(status: str, *, uuid: str = RUN, finished: bool = True) -> bytes:
    data = json.loads(BODY)
    data["run"].update(status=status, uuid=uuid)
    if not finished:
        data["run"]["finishedAt"] = None
    return json.dumps(data).encode()


@pytest.mark.usefixtures("fast_poller")
def test_watch_does_not_take_another_run_s_answer_for_its_own() -> None:
    """Before: the other run's statuses were printed as transitions of this one."""
    steps = [version("running"), version("success", uuid="run-other-0002"), version("error")]
    with raw_server(*(answer(200, step) for step in steps)) as server:
        code, out, err = watch_cli(server.url)
    assert code == 0 and "success" not in out and "ended error" in out
    assert err.startswith(
        f"run-inspector: the API answered with run run-other-0002 instead of run {RUN} (a proxy or cache "
        "may be mixing up answers; check --api-url); retrying in "
    )
    assert err.count("\n") == 1


@pytest.mark.usefixtures("fast_poller")
def test_watch_ends_on_an_unknown_status_with_finished_at() -> None:
    with raw_server(answer(200, version("running")), answer(200, version("timed_out"))) as server:
        code, out, err = watch_cli(server.url)
    assert (code, err) == (0, "") and "timed_out" in out.splitlines()[-1]
    assert len(server.requests) == 2


@pytest.mark.usefixtures("fast_poller")
def test_watch_ends_on_an_unknown_status_that_stops_changing_with_a_note() -> None:
    """Before: `--watch` polled a `timed_out` run without `finishedAt` forever."""
    with raw_server(answer(200, version("timed_out", finished=False))) as server:
        code, out, err = watch_cli(server.url)
    assert code == 0 and "timed_out" in out.splitlines()[-1]
    assert err == (
        "run-inspector: the run's status 'timed_out' is not one run-inspector knows, and nothing changed "
        "in 10 polls: stopped following it (it may still be running)\n"
    )
    assert len(server.requests) == 11
