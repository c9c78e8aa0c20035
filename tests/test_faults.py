"""The fault matrix, headless: every bad response and network fault gives one clear line.

Each fault is served by a real server on 127.0.0.1 (`rawserver`) to `cli.main`, which goes
through the real client, transport and retries. Retry waits are skipped and the timeouts are
cut to fractions of a second, so the whole matrix runs in a few seconds. Every case asserts:
exit 3, nothing on stdout, exactly one line on stderr, the line says what failed and (in
parentheses) what to do, and no traceback.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from run_inspector import cli, watch
from run_inspector import client as client_module
from run_inspector.poller import Poller

from .helpers import fixture_bytes
from .rawserver import HANG, Step, answer, close_mid_body, closed_port, raw_server, reset_mid_body

TOKEN = "fault-matrix-token-0123456789"
ENV = {"CARGO_API_TOKEN": TOKEN}
RUN = "run-failed-0001"
BODY = fixture_bytes("failed_run.json")
HTML = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
TIMEOUT = 0.3
ONE_SHOT_TRIES = 4
"""The CLI asks the client for 3 retries in --print/--json: 4 requests in all."""


@pytest.fixture(autouse=True)
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real waits between retries, and a sub-second read timeout. No CLI flag involved.

    The 30 s deadline stays: the waits it budgets for are skipped, so every retry is made.
    """

    async def no_wait(seconds: float) -> None:
        pass

    monkeypatch.setattr(client_module, "_sleep", no_wait)
    original = client_module.CargoClient.__init__

    def quick(self: client_module.CargoClient, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", httpx.Timeout(TIMEOUT, connect=1.0))
        original(self, *args, **kwargs)

    monkeypatch.setattr(client_module.CargoClient, "__init__", quick)


WATCH_ERROR_LIMIT = 3


@pytest.fixture
def fast_poller(monkeypatch: pytest.MonkeyPatch) -> None:
    """--watch: the poller's waits take no time, and it gives up after 3 failures (not 20)."""

    async def no_wait(seconds: float) -> None:
        pass

    def quick(*args: Any, **kwargs: Any) -> Poller:
        return Poller(*args, **{**kwargs, "sleep": no_wait, "error_limit": WATCH_ERROR_LIMIT})

    monkeypatch.setattr(watch, "Poller", quick)


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), environ=ENV, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def assert_one_clear_line(code: int, out: str, err: str, what: str, todo: str) -> str:
    assert (code, out) == (3, ""), err
    assert err.endswith("\n") and err.count("\n") == 1, err
    line = err.rstrip("\n")
    assert line.startswith("run-inspector: ")
    message, _, hint = line.removeprefix("run-inspector: ").rpartition(" (")
    assert what in message, line
    assert todo in hint and hint.endswith(")"), line
    assert "Traceback" not in err and 'File "' not in err and "internal error" not in err
    assert TOKEN not in err
    return line


# -- the matrix -----------------------------------------------------------------------------------

RESPONSE_FAULTS: dict[str, tuple[Step, str, str, int]] = {
    # name: (what the server does, what failed, what to do, requests made)
    "empty-body": (answer(200), "the body is empty", "check --api-url", 1),
    "truncated-json": (answer(200, BODY[:200]), "before the JSON is complete", "try again", 1),
    "html-page": (answer(200, HTML, Content_Type="text/html"), "an HTML page", "check --api-url", 1),
    "json-without-run": (answer(200, b'{"runs": []}'), "no 'run' object", "check --api-url", 1),
    "run-is-null": (answer(200, b'{"run": null}'), "no 'run' object", "check --api-url", 1),
    "json-not-an-object": (answer(200, b"[1, 2, 3]"), "not an object", "check --api-url", 1),
    "401": (
        answer(401, b'{"errorMessage": "Invalid token", "reason": "unauthorized"}'),
        "the API rejected the token (401): Invalid token",
        "CARGO_API_TOKEN or --token-file",
        1,
    ),
    "401-empty-body": (answer(401), "the API rejected the token (401)", "CARGO_API_TOKEN", 1),
    "403": (
        answer(403, b'{"errorMessage": "Forbidden"}'),
        f"may not read run {RUN} (403): Forbidden",
        "--workspace",
        1,
    ),
    "404": (
        answer(404, b'{"errorMessage": "Run not found", "reason": "notFound"}'),
        f"run {RUN} was not found (404): Run not found",
        "check the run uuid",
        1,
    ),
    "429-long-retry-after": (
        answer(429, Retry_After="120"),
        "the API is limiting requests (429)",
        "it asks to wait 120 s",
        1,
    ),
    "429-short-retry-after": (
        answer(429, Retry_After="1"),
        "the API is limiting requests (429)",
        "it asks to wait 1 s",
        ONE_SHOT_TRIES,
    ),
    "500": (answer(500, b'{"errorMessage": "boom"}'), "server error (500): boom", "try again", 1),
    "502": (answer(502), "server error (502)", "try again in a moment", ONE_SHOT_TRIES),
    "502-html": (
        answer(502, HTML, Content_Type="text/html"),
        "server error (502): the body is an HTML page",
        "try again",
        ONE_SHOT_TRIES,
    ),
    "503": (answer(503), "server error (503)", "try again in a moment", ONE_SHOT_TRIES),
    "504": (answer(504), "server error (504)", "try again in a moment", ONE_SHOT_TRIES),
}

NETWORK_FAULTS: dict[str, tuple[Step, str, str]] = {
    "slow-server": (HANG, f"the API did not answer within {TIMEOUT} s", "check your connection"),
    "reset-mid-body": (
        reset_mid_body(BODY),
        "the connection to 127.0.0.1 broke before the answer was complete",
        "check your connection and --api-url, then try again",
    ),
    "closed-mid-body": (
        close_mid_body(BODY),
        "the connection to 127.0.0.1 broke before the answer was complete",
        "then try again",
    ),
}


@pytest.fixture(params=["--print", "--json"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param


@pytest.mark.parametrize("fault", list(RESPONSE_FAULTS))
def test_response_fault_gives_one_clear_line(fault: str, mode: str) -> None:
    step, what, todo, requests = RESPONSE_FAULTS[fault]
    with raw_server(step) as server:
        code, out, err = invoke(RUN, mode, "--api-url", server.url)
    assert_one_clear_line(code, out, err, what, todo)
    assert len(server.requests) == requests


@pytest.mark.parametrize("fault", list(NETWORK_FAULTS))
def test_network_fault_gives_one_clear_line(fault: str, mode: str) -> None:
    step, what, todo = NETWORK_FAULTS[fault]
    with raw_server(step) as server:
        code, out, err = invoke(RUN, mode, "--api-url", server.url)
    assert_one_clear_line(code, out, err, what, todo)
    assert len(server.requests) == ONE_SHOT_TRIES


def test_connection_refused_gives_one_clear_line(mode: str) -> None:
    code, out, err = invoke(RUN, mode, "--api-url", f"http://127.0.0.1:{closed_port()}/v1")
    assert_one_clear_line(code, out, err, "could not connect to 127.0.0.1", "check your connection")


def test_a_retried_fault_that_clears_shows_the_run(mode: str) -> None:
    with raw_server(answer(503), reset_mid_body(BODY), answer(200, BODY)) as server:
        code, out, err = invoke(RUN, mode, "--api-url", server.url)
    assert (code, err) == (0, "")
    assert "Acme Corp" in out and len(server.requests) == 3


def test_api_text_in_an_error_is_made_safe() -> None:
    hostile = {"errorMessage": "\x1b]0;PWNED\x07boom [@click=app.quit]x[/]\nsecond line"}
    with raw_server(answer(500, json.dumps(hostile).encode())) as server:
        code, out, err = invoke(RUN, "--print", "--api-url", server.url)
    line = assert_one_clear_line(code, out, err, "boom [@click=app.quit]x[/] ⏎ second line", "try again")
    assert "\x1b" not in line and "PWNED" not in line


# -- --watch --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("fast_poller")
@pytest.mark.parametrize("fault", ["401", "403"])
def test_watch_stops_at_once_on_a_fault_retrying_cannot_fix(fault: str) -> None:
    step, what, todo, _ = RESPONSE_FAULTS[fault]
    with raw_server(step) as server:
        code, out, err = invoke(RUN, "--watch", "--api-url", server.url)
    assert_one_clear_line(code, out, err, what, todo)
    assert len(server.requests) == 1


@pytest.mark.usefixtures("fast_poller")
@pytest.mark.parametrize("fault", ["503", "429-long-retry-after", "truncated-json"])
def test_watch_says_it_retries_then_shows_the_run(fault: str) -> None:
    step = RESPONSE_FAULTS[fault][0]
    with raw_server(step, step, answer(200, BODY)) as server:  # the client itself retries once
        code, out, err = invoke(RUN, "--watch", "--api-url", server.url)
    assert code == 0 and "ended error" in out
    lines = err.splitlines()
    assert len(lines) == 1 and re.search(r"; retrying in \d+ s$", lines[0]), err
    assert "Traceback" not in err


@pytest.mark.usefixtures("fast_poller")
@pytest.mark.parametrize("fault", ["slow-server", "reset-mid-body"])
def test_watch_gives_up_on_a_lasting_network_fault_with_a_last_clear_line(fault: str) -> None:
    step, what, todo = NETWORK_FAULTS[fault]
    with raw_server(step) as server:
        code, out, err = invoke(RUN, "--watch", "--api-url", server.url)
    assert code == 3 and out == ""
    lines = err.splitlines()
    assert 1 <= len(lines) <= 2, err  # "…; retrying in N s" once, then the line it ends with
    assert_one_clear_line(code, out, lines[-1] + "\n", what, todo)


def fault_counts() -> dict[str, int]:
    """The number of fault cases this file covers (quoted in docs/FAULTS.md)."""
    return {"response": len(RESPONSE_FAULTS), "network": len(NETWORK_FAULTS) + 1}


async def test_a_child_run_id_from_the_api_is_made_safe_in_the_error() -> None:
    """The TUI opens child runs by the id the API gave: a 404 for it must not carry escapes."""
    hostile = "\x1b]0;PWNED\x07child-run\x1b[2J"
    for status in (403, 404):
        with raw_server(answer(status)) as server:
            async with client_module.CargoClient(server.url, None) as client:
                with pytest.raises(client_module.FetchError) as caught:
                    await client.fetch_run(hostile)
        assert "child-run" in caught.value.message
        assert "\x1b" not in caught.value.one_line() and "PWNED" not in caught.value.one_line()
