"""`--watch` against a real loopback HTTP server whose run advances on each request."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from typing import Any

from run_inspector.client import CargoClient
from run_inspector.demo import DEMO_API_URL, DEMO_RUN_UUID, DemoTransport
from run_inspector.source import ApiSource
from run_inspector.watch import Watcher

from .helpers import execution, node, run_of
from .loopback import advancing_run, serve

NODES = [
    node("start", "start", ["enrich"]),
    node("enrich", "call", ["end"], kind="connector"),
    node("end", "end"),
]


def step(status: str, *executions: dict[str, Any]) -> dict[str, Any]:
    data = run_of(NODES, list(executions), status=status, recordTitle="Acme Corp")
    data["run"]["uuid"] = "run-live-1"
    if status in ("pending", "running"):
        data["run"]["finishedAt"] = None
    return data


STEPS = [
    step("pending"),
    step("running", execution("start")),
    step("running", execution("start"), execution("enrich", "running")),
    step("running", execution("start"), execution("enrich", "error", errorMessage="Clearbit 503")),
    step("error", execution("start"), execution("enrich", "error", errorMessage="Clearbit 503")),
]


def watch(base: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CARGO_API_TOKEN": "sentinel-token-123"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "run_inspector",
            "run-live-1",
            "--api-url",
            base,
            "--watch",
            "--interval",
            "0.2",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_watch_prints_each_transition_and_stops_at_terminal() -> None:
    with serve(advancing_run(STEPS)) as (base, seen):
        result = watch(base, "--exit-status")
        requests = len(seen)
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stderr
    transitions = [line.split(" ", 1)[1] for line in lines[:-1]]  # drop the local time
    assert transitions == [
        "◌ run — → pending",
        "● run pending → running",
        "✔ start not reached → success",
        "● enrich not reached → running",
        "✖ enrich running → error",
        "  ↳ enrich: Clearbit 503",  # the node's error (issue 15); the run's is the same, said once
        "✖ run running → error",
    ]
    assert lines[-1].startswith(
        "✖ run run-live-1 (Acme Corp) ended error after 10s · 0 credits · failed: enrich"
    )
    assert requests == len(STEPS)  # stopped polling once the run was terminal
    assert "\x1b" not in result.stdout and "sentinel-token-123" not in result.stdout + result.stderr
    assert all(path == "/v1/orchestration/runs/run-live-1" for path in seen)


def test_watch_rides_out_server_errors() -> None:
    def respond(number: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        if 1 <= number <= 4:
            return 503, b"<html>busy</html>"  # more than the client's own retry absorbs
        return advancing_run([STEPS[1], STEPS[1], STEPS[4]])(number, path, headers)

    with serve(respond) as (base, _):
        result = watch(base)
    assert result.returncode == 0
    assert "run-inspector:" in result.stderr and "retrying" in result.stderr
    assert result.stdout.splitlines()[-1].startswith("✖ run run-live-1")


async def test_watch_the_demo_offline() -> None:
    """The demo through the real client, with a clock that moves one second per request."""
    ticks = iter(range(1000))
    transport = DemoTransport(clock=lambda: float(next(ticks)))
    source = ApiSource(CargoClient(DEMO_API_URL, None, transport=transport), DEMO_RUN_UUID, "demo")
    out, err = io.StringIO(), io.StringIO()
    graph = await Watcher(source, DEMO_RUN_UUID, out, err, interval=0.01).run()
    await source.aclose()
    text = out.getvalue()
    assert graph.summary.verdict == "degraded" and err.getvalue() == ""
    for words in (
        "run pending → running",
        "enrich_company (attempt 1) pending → error",
        "enrich_company pending → success",
        "contacts_loop (attempt 2) pending → error",
        "sync_crm pending → error",
        "notify_owner not reached → pending",
        "run running → success",
    ):
        assert words in text, words
    assert text.splitlines()[-1].startswith(
        f"✔ run {DEMO_RUN_UUID} (Acme Corp) ended success (degraded) after 19s"
    )


def test_ctrl_c_exits_130() -> None:
    with serve(advancing_run([STEPS[2]])) as (base, seen):
        env = {**os.environ, "CARGO_API_TOKEN": "sentinel-token-123"}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "run_inspector",
                "run-live-1",
                "--api-url",
                base,
                "--watch",
                "--interval",
                "0.1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 30
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
