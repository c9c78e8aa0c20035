"""The token never appears: not in output, errors, logs, saved files, or a traceback's locals.

Every run here uses a sentinel token, from `CARGO_API_TOKEN` or from `--token-file`, and
captures everything the process could show: stdout and stderr (in-process and at the file
descriptor level), every log record at DEBUG (httpx, httpcore, httpx-retries included), and
tracebacks of deliberately forced crashes formatted with their frames' local variables, the
way a crash reporter shows them. The server checks that the token was really sent, so a test
cannot pass by never using it.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from rich.traceback import Traceback

from run_inspector import cli
from run_inspector import client as client_module
from run_inspector.client import CargoClient
from run_inspector.config import Secret
from run_inspector.graph import RunGraph

from .fixtures.make_hostile import HOSTILE_TEXTS
from .helpers import FIXTURES, fixture_bytes
from .rawserver import Step, answer, closed_port, raw_server
from .test_faults import NETWORK_FAULTS, RESPONSE_FAULTS

SENTINEL = "SENTINEL-tok-7c1e9a54d3b2f0aa"
FRAGMENTS = (SENTINEL, SENTINEL[8:24])
"""The token, and a piece of it: a cut or re-encoded token must not slip through either."""
RUN = "run-failed-0001"
BODY = fixture_bytes("failed_run.json")
HOSTILE = FIXTURES / "hostile_run.json"


def leaks(*texts: str) -> list[str]:
    return [text[:200] for text in texts if any(fragment in text for fragment in FRAGMENTS)]


class Capture:
    """Everything a run could show, in one place to grep."""

    def __init__(self, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
        self.caplog = caplog
        self.capfd = capfd
        self.texts: list[str] = []

    def add(self, *texts: str) -> None:
        self.texts.extend(texts)

    def assert_no_token(self) -> None:
        fd_out, fd_err = self.capfd.readouterr()
        records = [self.caplog.text, *(str(r.args) for r in self.caplog.records)]
        found = leaks(*self.texts, fd_out, fd_err, *records)
        assert not found, found


@pytest.fixture
def capture(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> Iterator[Capture]:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "httpx_retries", "asyncio", "run_inspector"):
        caplog.set_level(logging.DEBUG, logger=name)
    found = Capture(caplog, capfd)
    yield found
    found.assert_no_token()


@pytest.fixture(autouse=True)
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(seconds: float) -> None:
        pass

    monkeypatch.setattr(client_module, "_sleep", no_wait)
    original = CargoClient.__init__

    def quick(self: CargoClient, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", httpx.Timeout(0.3, connect=1.0))
        original(self, *args, **kwargs)

    monkeypatch.setattr(CargoClient, "__init__", quick)


@pytest.fixture(params=["env", "token-file"])
def token_args(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    """The token from CARGO_API_TOKEN, or from a private --token-file."""
    if request.param == "env":
        return [], {"CARGO_API_TOKEN": SENTINEL}
    path = tmp_path / "token"
    path.write_text(SENTINEL + "\n")
    path.chmod(0o600)
    return ["--token-file", str(path)], {}


def invoke(capture: Capture, argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, environ=environ, out=out, err=err)
    capture.add(out.getvalue(), err.getvalue())
    return code, out.getvalue(), err.getvalue()


def assert_token_was_sent(requests: list[bytes]) -> None:
    assert requests and all(f"Authorization: Bearer {SENTINEL}".encode() in r for r in requests)


# -- success ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["--print", "--json", "--watch"])
def test_success_shows_no_token(
    capture: Capture, token_args: tuple[list[str], dict[str, str]], mode: str
) -> None:
    argv, environ = token_args
    with raw_server(answer(200, BODY)) as server:
        code, out, err = invoke(capture, [RUN, mode, "--api-url", server.url, *argv], environ)
    assert code == 0 and err == "" and "Acme Corp" in out
    assert_token_was_sent(server.requests)


def test_the_hostile_run_through_the_api_shows_no_token(
    capture: Capture, token_args: tuple[list[str], dict[str, str]]
) -> None:
    argv, environ = token_args
    with raw_server(answer(200, HOSTILE.read_bytes())) as server:
        for mode in ("--print", "--json"):
            code, out, _ = invoke(capture, ["run-hostile-0001", mode, "--api-url", server.url, *argv], environ)
            assert code == 0 and HOSTILE_TEXTS["markup-click-quit"] in out
    assert_token_was_sent(server.requests)


# -- every fault --------------------------------------------------------------------------------


FAULT_STEPS: dict[str, Step] = {
    **{name: step for name, (step, *_) in RESPONSE_FAULTS.items()},
    **{name: step for name, (step, *_) in NETWORK_FAULTS.items()},
}


@pytest.mark.parametrize("fault", list(FAULT_STEPS))
def test_every_fault_shows_no_token(
    capture: Capture, token_args: tuple[list[str], dict[str, str]], fault: str
) -> None:
    argv, environ = token_args
    with raw_server(FAULT_STEPS[fault]) as server:
        code, _, err = invoke(capture, [RUN, "--print", "--api-url", server.url, *argv], environ)
    assert code == 3 and err.count("\n") == 1
    assert_token_was_sent(server.requests)


def test_connection_refused_shows_no_token(capture: Capture) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code, _, err = invoke(capture, [RUN, "--json", "--api-url", url], {"CARGO_API_TOKEN": SENTINEL})
    assert code == 3 and "could not connect" in err


@pytest.mark.parametrize(
    "echo",
    [
        answer(401, json.dumps({"errorMessage": f"token {SENTINEL} is revoked"}).encode()),
        answer(500, json.dumps({"reason": f"Bearer {SENTINEL}"}).encode()),
        answer(200, f"Bearer {SENTINEL} is not allowed here".encode()),
        answer(200, f'{{"run": {{"uuid": "{SENTINEL}"'.encode()),
        answer(200, BODY.replace(b"Acme Corp", f"Acme {SENTINEL}".encode())),
    ],
    ids=["401-message", "500-reason", "text-body", "truncated-json", "in-the-run"],
)
def test_a_server_that_echoes_the_token_does_not_get_it_shown(capture: Capture, echo: Step) -> None:
    with raw_server(echo) as server:
        for mode in ("--print", "--json"):
            invoke(capture, [RUN, mode, "--api-url", server.url], {"CARGO_API_TOKEN": SENTINEL})
    assert_token_was_sent(server.requests)


# -- forced crashes ------------------------------------------------------------------------------


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("forced crash while building the graph")


def frames_with_locals(error: BaseException) -> list[str]:
    """The traceback as Python and as Rich (Textual's crash report) print it, locals included.

    The frames of this test file are left out: they hold the token on purpose.
    """
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    assert tb is not None
    python = traceback.TracebackException(type(error), error, tb, capture_locals=True)
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(
        Traceback.from_exception(type(error), error, tb, show_locals=True, locals_max_string=10_000)
    )
    return [*python.format(), console.export_text()]


def test_a_crash_is_one_line_without_the_token(
    capture: Capture, monkeypatch: pytest.MonkeyPatch, token_args: tuple[list[str], dict[str, str]]
) -> None:
    argv, environ = token_args
    monkeypatch.setattr(RunGraph, "build", boom)
    with raw_server(answer(200, BODY)) as server:
        code, out, err = invoke(capture, [RUN, "--print", "--api-url", server.url, *argv], environ)
    assert (code, out) == (3, "")
    assert (
        err
        == "run-inspector: internal error: RuntimeError (set RUN_INSPECTOR_DEBUG=1 to see the traceback)\n"
    )


def test_a_crash_traceback_with_locals_holds_no_token(
    capture: Capture, monkeypatch: pytest.MonkeyPatch, token_args: tuple[list[str], dict[str, str]]
) -> None:
    argv, environ = token_args
    monkeypatch.setattr(RunGraph, "build", boom)
    with raw_server(answer(200, BODY)) as server, pytest.raises(RuntimeError) as caught:
        cli.main(
            [RUN, "--json", "--api-url", server.url, *argv],
            environ={**environ, "RUN_INSPECTOR_DEBUG": "1"},
            out=io.StringIO(),
            err=io.StringIO(),
        )
    texts = frames_with_locals(caught.value)
    assert any("cli.py" in text for text in texts)  # the frames really are there
    capture.add(*texts)


def test_a_crash_while_sending_the_headers_holds_no_token_in_its_locals(
    capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure deep in the HTTP stack, where h11's Request event (every header) is a local."""
    import h11

    original = h11.Connection.send

    def send(self: h11.Connection, event: Any) -> Any:
        if isinstance(event, h11.Request):
            raise RuntimeError("forced crash while sending the request headers")
        return original(self, event)

    monkeypatch.setattr(h11.Connection, "send", send)
    with raw_server(answer(200, BODY)) as server, pytest.raises(Exception) as caught:
        cli.main(
            [RUN, "--print", "--api-url", server.url],
            environ={"CARGO_API_TOKEN": SENTINEL, "RUN_INSPECTOR_DEBUG": "1"},
            out=io.StringIO(),
            err=io.StringIO(),
        )
    capture.add(*frames_with_locals(caught.value))


async def test_client_errors_hold_no_token_in_their_locals(capture: Capture) -> None:
    """Every typed error the client raises, with its traceback and locals, as a crash shows it."""
    for status in (401, 403, 404, 429, 500, 503):
        with raw_server(answer(status, b'{"errorMessage": "x"}')) as server:
            async with CargoClient(server.url, Secret(SENTINEL), retries=1) as client:
                with pytest.raises(Exception) as caught:
                    await client.fetch_run(RUN)
        capture.add(*frames_with_locals(caught.value), repr(caught.value), str(caught.value))


# -- the token file -----------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False), (0o400, False)])
def test_a_token_file_readable_by_others_is_warned_about(
    capture: Capture, tmp_path: Path, mode: int, warned: bool
) -> None:
    path = tmp_path / "token"
    path.write_text(SENTINEL)
    path.chmod(mode)
    with raw_server(answer(200, BODY)) as server:
        code, _, err = invoke(
            capture, [RUN, "--print", "--api-url", server.url, "--token-file", str(path)], {}
        )
    assert code == 0
    warning = f"run-inspector: warning: token file {path} is readable by other users; chmod 600 it\n"
    assert err == (warning if warned else "")


# -- plain http to a remote host -------------------------------------------------------------------


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail the test if anything tries to connect or send, however it goes about it."""
    attempts: list[str] = []

    def refuse(what: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            attempts.append(what)
            raise AssertionError(f"{what} was called")

        return refused

    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", refuse("loop.create_connection"))
    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", refuse("loop.getaddrinfo"))
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", refuse("httpx transport"))
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "http://api.getcargo.io/v1",
        "http://10.0.0.1/v1",
        "http://[2001:db8::1]:8080/v1",
        "http://127.0.0.1.evil.example/v1",
        "http://localhost.evil.example/v1",
        "HTTP://example.com/v1",
    ],
)
@pytest.mark.parametrize("mode", ["--print", "--json", "--watch"])
def test_plain_http_to_a_remote_host_is_refused_before_any_connection(
    capture: Capture, no_connection: list[str], url: str, mode: str
) -> None:
    code, out, err = invoke(capture, [RUN, mode, "--api-url", url], {"CARGO_API_TOKEN": SENTINEL})
    assert (code, out) == (2, "")
    assert "refusing to send the token over plain http" in err and err.count("\n") == 1
    assert no_connection == []


def test_plain_http_from_the_environment_is_refused_too(capture: Capture, no_connection: list[str]) -> None:
    environ = {"CARGO_API_TOKEN": SENTINEL, "CARGO_API_URL": "http://api.getcargo.io/v1"}
    code, _, err = invoke(capture, [RUN, "--print"], environ)
    assert code == 2 and "plain http" in err and no_connection == []


def test_the_refusal_guard_itself_would_catch_a_connection(no_connection: list[str]) -> None:
    """The guard works: an allowed loopback URL does try to connect, and is stopped by it."""
    out, err = io.StringIO(), io.StringIO()
    cli.main(
        [RUN, "--print", "--api-url", "http://127.0.0.1:9/v1"],
        environ={"CARGO_API_TOKEN": "t"},
        out=out,
        err=err,
    )
    assert no_connection


def test_no_saved_file_or_environment_dump_holds_the_token(tmp_path: Path, capture: Capture) -> None:
    """What --json writes to a file (a user's `> run.json`) has no token in it."""
    target = tmp_path / "run.json"
    with raw_server(answer(200, BODY)) as server, target.open("w") as handle:
        code = cli.main(
            [RUN, "--json", "--api-url", server.url], environ={"CARGO_API_TOKEN": SENTINEL}, out=handle
        )
    assert code == 0
    capture.add(target.read_text(), *(p.read_text(errors="replace") for p in tmp_path.iterdir()))
    assert os.environ.get("CARGO_API_TOKEN") != SENTINEL  # nothing was put in the real environment


def test_a_short_token_is_not_searched_for_and_does_not_mangle_the_run(capture: Capture) -> None:
    """Hiding an echoed token must not cost the data: 't' would match every word."""
    with raw_server(answer(200, BODY)) as server:
        code, out, _ = invoke(capture, [RUN, "--json", "--api-url", server.url], {"CARGO_API_TOKEN": "t"})
    _, from_file, _ = invoke(capture, ["--file", str(FIXTURES / "failed_run.json"), "--json"], {})
    assert code == 0 and "<hidden>" not in out
    through_api = json.loads(out)
    # The API answered 404 to the trace and the item lists (a file has no such endpoints).
    assert set(through_api.pop("unavailable")) == {"trace", "runs.list", "runs.get"}
    assert through_api == {key: value for key, value in json.loads(from_file).items() if key != "unavailable"}
    with raw_server(answer(401, b'{"errorMessage": "Invalid token"}')) as server:
        _, _, err = invoke(capture, [RUN, "--print", "--api-url", server.url], {"CARGO_API_TOKEN": "t"})
    assert "Invalid token" in err


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1./v1", "http://localhost./v1", "http://LOCALHOST./v1", "http://[::1]./v1"]
)
def test_a_loopback_name_with_a_trailing_dot_is_not_loopback(
    capture: Capture, no_connection: list[str], url: str
) -> None:
    """`localhost.` and `127.0.0.1.` are names for DNS (search domains, a hostile zone), not the
    loopback address: the token is not sent to them over plain http, and nothing is resolved."""
    code, out, err = invoke(capture, [RUN, "--print", "--api-url", url], {"CARGO_API_TOKEN": SENTINEL})
    assert (code, out) == (2, "")
    assert "refusing to send the token over plain http" in err or "not valid" in err
    assert no_connection == []


# -- a token echoed in another encoding (issue 14) ---------------------------------------------------

B64_TOKEN = "s3ntinel/T0KEN+abc/def123456=="
"""Like a base64 token: '/', '+' and '='. A piece of it on screen is a leak."""
GO_TOKEN = "s3ntinel&T0KEN<abc>def123456=="
"""With the characters Go's JSON encoder escapes."""
TOKEN_PIECES = ("s3ntinel", "T0KEN", "def123456")


def _escape_each(token: str, form: str, keep: str = "") -> str:
    """Every character of `token` that is not a letter, a digit or in `keep`, written as `form`."""
    return "".join(c if c.isalnum() or c in keep else form.format(ord(c)) for c in token)


ECHOES: dict[str, tuple[str, str]] = {
    # name: (token, what the server sends back inside a JSON string)
    "php-json": (B64_TOKEN, B64_TOKEN.replace("/", "\\/")),
    "go-json": (GO_TOKEN, GO_TOKEN.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")),
    "go-json-upper-hex": (GO_TOKEN, GO_TOKEN.replace("&", "\\u0026").replace("<", "\\u003C")),
    "json-every-character": (B64_TOKEN, _escape_each(B64_TOKEN, "\\u{:04X}")),
    "json-in-json": (B64_TOKEN, B64_TOKEN.replace("/", "\\\\\\/")),
    "percent": (B64_TOKEN, _escape_each(B64_TOKEN, "%{:02X}")),
    "percent-lower-case": (B64_TOKEN, _escape_each(B64_TOKEN, "%{:02x}")),
    "percent-twice": (B64_TOKEN, _escape_each(B64_TOKEN, "%25{:02X}")),
    "html-decimal": (B64_TOKEN, _escape_each(B64_TOKEN, "&#{};")),
    "html-hex": (B64_TOKEN, _escape_each(B64_TOKEN, "&#x{:X};")),
    "html-named": (B64_TOKEN, B64_TOKEN.replace("/", "&sol;").replace("+", "&plus;").replace("=", "&equals;")),
    "html-twice": (GO_TOKEN, GO_TOKEN.replace("&", "&amp;amp;").replace("<", "&amp;lt;")),
    "form-decoded": (B64_TOKEN, B64_TOKEN.replace("+", " ")),
    "raw": (B64_TOKEN, B64_TOKEN),
}


def assert_no_piece(*texts: str) -> None:
    found = [text[:300] for text in texts if any(piece in text for piece in TOKEN_PIECES)]
    assert not found, found


@pytest.mark.parametrize("echo", list(ECHOES))
def test_an_echo_in_any_encoding_is_hidden_in_print_json_and_a_bundle(
    capture: Capture, tmp_path: Path, echo: str
) -> None:
    from run_inspector.source import bundle_bytes, write_bundle

    token, echoed = ECHOES[echo]
    body = BODY.replace(b"Acme Corp", b"Acme " + echoed.encode())
    assert json.loads(body)["run"]["recordTitle"].startswith("Acme ")  # still a valid response
    environ = {"CARGO_API_TOKEN": token}
    with raw_server(answer(200, body)) as server:
        outputs = [invoke(capture, [RUN, mode, "--api-url", server.url], environ) for mode in ("--print", "--json")]

        async def fetch() -> bytes:
            async with CargoClient(server.url, Secret(token)) as client:
                return await client.fetch_run_bytes(RUN)

        saved = write_bundle(tmp_path, RUN, bundle_bytes(asyncio.run(fetch()), {})).read_text()
    assert all(f"Authorization: Bearer {token}".encode() in r for r in server.requests)
    for code, out, err in outputs:
        assert code == 0 and err == "" and "Acme <hidden>" in out
    assert "Acme <hidden>" in saved
    assert_no_piece(*(out + err for _, out, err in outputs), saved, capture.caplog.text)


@pytest.mark.parametrize("echo", list(ECHOES))
def test_an_echo_in_any_encoding_is_hidden_in_the_error_line(capture: Capture, echo: str) -> None:
    token, echoed = ECHOES[echo]
    environ = {"CARGO_API_TOKEN": token}
    steps = [
        answer(500, b'{"errorMessage": "bad token ' + echoed.encode() + b'"}'),
        answer(401, b'{"reason": "' + echoed.encode() + b'"}'),
        answer(200, b'{"run": {"uuid": "' + echoed.encode() + b'"'),  # cut short: the start is quoted
    ]
    for step in steps:
        with raw_server(step) as server:
            code, out, err = invoke(capture, [RUN, "--print", "--api-url", server.url], environ)
        assert code == 3 and out == "" and err.count("\n") == 1
        assert "<hidden>" in err or "stops after" in err, err
        assert_no_piece(err)


def test_looking_for_echoes_costs_a_find_on_a_body_without_one() -> None:
    """A body with no fragment of the token comes back as the same object (no copy, no regex);
    one with an echo is changed only there."""
    from run_inspector.client import _TokenEchoes

    echoes = _TokenEchoes(Secret(B64_TOKEN))
    body = BODY * 200
    assert echoes.hide_in_bytes(body) is body
    assert echoes._patterns is None  # not even compiled (a 1 KB token's pattern took 0.2 s)
    echoed = body + B64_TOKEN.replace("/", "\\/").encode() + body
    assert echoes.hide_in_bytes(echoed) == body + b"<hidden>" + body
    assert_no_piece(repr(echoes))
