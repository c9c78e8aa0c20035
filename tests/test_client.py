"""The API client: requests, error mapping, retries, deadlines, and the token never leaking.

No test reaches the internet: most use `httpx.MockTransport`; a few use a loopback server
for what only a real connection shows (a reset mid-body, a server that never answers).
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from run_inspector import client as client_module
from run_inspector.client import RETRY_STATUSES, CargoClient, parse_retry_after, run_path
from run_inspector.config import Secret
from run_inspector.errors import (
    ConfigError,
    FetchError,
    ForbiddenError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestError,
    ServerError,
    UnauthorizedError,
    UsageError,
)

TOKEN = "tok-SeCrEt-0123456789abcdef"
API = "https://api.example.test/v1"
RUN = "run-failed-0001"
BODY = (Path(__file__).parent / "fixtures" / "failed_run.json").read_bytes()

Handler = Callable[[httpx.Request], Any]


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry waits are recorded, not slept, so the file stays fast."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(client_module, "_sleep", fake_sleep)
    return recorded


class Recorder:
    """A MockTransport handler that answers from a script and keeps the requests."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        result = answer(request)
        return await result if asyncio.iscoroutine(result) else result  # type: ignore[no-any-return]


def make_client(recorder: Recorder, workspace: str | None = None, **options: Any) -> CargoClient:
    return CargoClient(API, Secret(TOKEN), workspace, transport=httpx.MockTransport(recorder), **options)


def ok() -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"Content-Type": "application/json"})


def api_error(status: int, message: str | None = None, **headers: str) -> httpx.Response:
    body = b"" if message is None else json.dumps({"errorMessage": message, "reason": "someCode"}).encode()
    return httpx.Response(status, content=body, headers=headers)


def assert_token_hidden(exc: BaseException) -> None:
    """Not in the message, the repr, nor a traceback printed with every frame's locals."""
    texts = [str(exc), repr(exc), *traceback.format_exception(exc)]
    texts += traceback.TracebackException.from_exception(exc, capture_locals=True).format()
    if isinstance(exc, FetchError):
        texts += [exc.message, exc.hint, exc.one_line()]
    leaked = [text for text in texts if TOKEN in text]
    assert not leaked, leaked


async def fetch_error(client: CargoClient, run: str = RUN) -> FetchError:
    async with client:
        with pytest.raises(FetchError) as caught:
            await client.fetch_run(run)
    assert_token_hidden(caught.value)
    return caught.value


# --- success and the request itself -------------------------------------------------------


async def test_fetch_run_parses_the_response() -> None:
    recorder = Recorder(ok())
    async with make_client(recorder) as client:
        parsed = await client.fetch_run(RUN)
    assert parsed.response.run.uuid == RUN
    assert parsed.response.run.status == "error"
    assert parsed.size == len(BODY)
    assert len(recorder.requests) == 1


async def test_request_carries_token_workspace_and_user_agent() -> None:
    recorder = Recorder(ok())
    async with make_client(recorder, workspace="ws-1") as client:
        assert await client.fetch_run_bytes(RUN) == BODY
    request = recorder.requests[0]
    assert request.method == "GET"
    assert str(request.url) == f"{API}/orchestration/runs/{RUN}"
    assert request.headers["Authorization"] == "Bearer " + TOKEN
    assert request.headers["selected-workspace-uuid"] == "ws-1"
    assert request.headers["User-Agent"].startswith("run-inspector/")
    assert TOKEN not in str(request.url)
    assert TOKEN not in repr(request.headers)


async def test_no_token_and_no_workspace_send_neither_header() -> None:
    recorder = Recorder(ok())
    async with CargoClient(API, None, transport=httpx.MockTransport(recorder)) as client:
        await client.fetch_run_bytes(RUN)
    assert "Authorization" not in recorder.requests[0].headers
    assert "selected-workspace-uuid" not in recorder.requests[0].headers


async def test_run_id_is_percent_encoded_in_the_path() -> None:
    recorder = Recorder(ok())
    async with make_client(recorder) as client:
        await client.fetch_run_bytes("a/../b?c=d#e")
    raw_path = recorder.requests[0].url.raw_path.decode()
    assert raw_path == "/v1/orchestration/runs/a%2F%2E%2E%2Fb%3Fc%3Dd%23e"
    with pytest.raises(UsageError):
        run_path("")


def test_client_repr_hides_the_token() -> None:
    client = make_client(Recorder(ok()))
    assert TOKEN not in repr(client)
    assert "<hidden>" in repr(client)
    assert TOKEN not in repr(vars(client))


# --- error mapping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "error_type", "message", "hint"),
    [
        (api_error(401), UnauthorizedError, "the API rejected the token (401)", "CARGO_API_TOKEN"),
        (api_error(401, "Invalid token"), UnauthorizedError, "(401): Invalid token", "--token-file"),
        (
            api_error(403, "No access to workspace"),
            ForbiddenError,
            "(403): No access to workspace",
            "--workspace",
        ),
        (
            api_error(404, "Run not found"),
            NotFoundError,
            f"run {RUN} was not found (404): Run not found",
            "workspace",
        ),
        (api_error(404), NotFoundError, f"run {RUN} was not found (404)", "uuid"),
        (api_error(400, "bad uuid"), RequestError, "(400): bad uuid", ""),
        (api_error(418), RequestError, "(418)", ""),
        (api_error(500, "boom"), ServerError, "(500): boom", ""),
        (
            api_error(301, None, Location="https://elsewhere.test/"),
            RequestError,
            "redirect (301)",
            "--api-url",
        ),
        (
            httpx.Response(502, content=b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
            ServerError,
            "(502): the body is an HTML page",
            "",
        ),
        (httpx.Response(400, content=b"not json at all"), RequestError, "(400)", ""),
    ],
)
async def test_status_codes_map_to_typed_errors(
    response: httpx.Response, error_type: type[FetchError], message: str, hint: str
) -> None:
    recorder = Recorder(response)
    error = await fetch_error(make_client(recorder))
    assert type(error) is error_type
    assert message in error.message
    assert hint in error.hint
    assert error.status_code == response.status_code
    assert len(recorder.requests) == (4 if response.status_code in RETRY_STATUSES else 1)


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_auth_and_not_found_are_never_retried(status: int, sleeps: list[float]) -> None:
    recorder = Recorder(api_error(status), ok())
    await fetch_error(make_client(recorder, retries=5))
    assert len(recorder.requests) == 1
    assert sleeps == []


async def test_a_401_without_token_says_one_is_needed() -> None:
    recorder = Recorder(api_error(401))
    error = await fetch_error(CargoClient(API, None, transport=httpx.MockTransport(recorder)))
    assert isinstance(error, UnauthorizedError)
    assert "wants a token" in error.message


async def test_api_message_is_passed_through_shortened_and_without_the_token() -> None:
    recorder = Recorder(api_error(401, f"token {TOKEN} is revoked. " + "x" * 1000))
    error = await fetch_error(make_client(recorder))
    assert "token <hidden> is revoked." in error.message
    assert len(error.message) < 400
    assert error.message.endswith("…")


async def test_invalid_body_is_an_invalid_response_error() -> None:
    recorder = Recorder(httpx.Response(200, content=b"<html>login page</html>"))
    error = await fetch_error(make_client(recorder))
    assert isinstance(error, InvalidResponseError)
    assert "HTML" in error.message


async def test_connection_errors_are_retried_then_reported(sleeps: list[float]) -> None:
    recorder = Recorder(httpx.ConnectError("connection refused"))
    error = await fetch_error(make_client(recorder, retries=2))
    assert isinstance(error, NetworkError)
    assert error.message == "could not connect to api.example.test"
    assert error.retryable
    assert len(recorder.requests) == 3
    assert len(sleeps) == 2
    assert error.__context__ is None and error.__cause__ is None  # no httpx frames in a traceback


async def test_read_timeout_is_a_network_error() -> None:
    recorder = Recorder(httpx.ReadTimeout("timed out"))
    error = await fetch_error(make_client(recorder, retries=0))
    assert isinstance(error, NetworkError)
    assert error.message == "the API did not answer within 15 s"


async def test_connect_timeout_names_the_host() -> None:
    recorder = Recorder(httpx.ConnectTimeout("timed out"))
    error = await fetch_error(make_client(recorder, retries=0))
    assert error.message == "could not connect to api.example.test within 5 s"


async def test_reset_while_reading_is_a_network_error() -> None:
    recorder = Recorder(httpx.RemoteProtocolError("peer closed connection"))
    error = await fetch_error(make_client(recorder, retries=0))
    assert isinstance(error, NetworkError)
    assert "broke before the answer was complete (RemoteProtocolError)" in error.message


async def test_overall_deadline_bounds_a_slow_answer() -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return ok()

    error = await fetch_error(make_client(Recorder(never), deadline=0.05))
    assert isinstance(error, NetworkError)
    assert error.message == "the API did not answer within 0.05 s"


# --- retries -------------------------------------------------------------------------------


async def test_503_is_retried_then_succeeds(sleeps: list[float]) -> None:
    recorder = Recorder(api_error(503, "overloaded"), ok())
    async with make_client(recorder, backoff=0.5) as client:
        parsed = await client.fetch_run(RUN)
    assert parsed.response.run.uuid == RUN
    assert len(recorder.requests) == 2
    assert len(sleeps) == 1
    assert 0.25 <= sleeps[0] <= 0.5  # `backoff` with jitter


async def test_backoff_doubles_and_is_capped(sleeps: list[float]) -> None:
    recorder = Recorder(api_error(502))
    error = await fetch_error(make_client(recorder, retries=4, backoff=1.0, max_backoff=3.0))
    assert isinstance(error, ServerError)
    assert len(recorder.requests) == 5
    expected = [(0.5, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 3.0)]
    assert all(low <= wait <= high for wait, (low, high) in zip(sleeps, expected, strict=True)), sleeps


async def test_retry_after_seconds_is_honoured(sleeps: list[float]) -> None:
    recorder = Recorder(api_error(429, None, **{"Retry-After": "3"}), ok())
    async with make_client(recorder) as client:
        await client.fetch_run(RUN)
    assert len(recorder.requests) == 2
    assert sleeps == [3.0]


async def test_retry_after_http_date_is_honoured(sleeps: list[float]) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    recorder = Recorder(api_error(503, None, **{"Retry-After": when}), ok())
    async with make_client(recorder) as client:
        await client.fetch_run(RUN)
    assert len(sleeps) == 1
    assert 3.0 <= sleeps[0] <= 5.0


async def test_retry_after_longer_than_max_backoff_is_reported_not_cut_short(sleeps: list[float]) -> None:
    recorder = Recorder(api_error(429, "slow down", **{"Retry-After": "120"}), ok())
    error = await fetch_error(make_client(recorder, max_backoff=8.0))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 120.0
    assert error.message == "the API is limiting requests (429): slow down"
    assert len(recorder.requests) == 1
    assert sleeps == []


async def test_rate_limit_reported_after_retries_run_out(sleeps: list[float]) -> None:
    recorder = Recorder(api_error(429, None, **{"Retry-After": "1"}))
    error = await fetch_error(make_client(recorder, retries=3))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 1.0
    assert len(recorder.requests) == 4
    assert sleeps == [1.0, 1.0, 1.0]


async def test_a_wait_past_the_deadline_reports_the_last_answer(sleeps: list[float]) -> None:
    recorder = Recorder(api_error(503, "maintenance"), ok())
    error = await fetch_error(make_client(recorder, backoff=8.0, deadline=1.0))
    assert isinstance(error, ServerError)
    assert "maintenance" in error.message
    assert len(recorder.requests) == 1
    assert sleeps == []


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(" 1.5 ", now) == 1.5
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-3", now) is None
    assert parse_retry_after(None, now) is None


# --- where the token may go ----------------------------------------------------------------


class MustNotBeCalled(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pytest.fail("a request was sent")


@pytest.mark.parametrize(
    "url", ["http://api.getcargo.io/v1", "http://10.0.0.8:8080", "http://localhost.evil.test"]
)
async def test_plain_http_to_a_remote_host_is_refused_before_connecting(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CargoClient(url, Secret(TOKEN), transport=MustNotBeCalled())
    assert "refusing to send the token over plain http" in caught.value.message
    assert_token_hidden(caught.value)


@pytest.mark.parametrize("url", ["http://localhost:8080/v1", "http://127.0.0.1:9/v1", "http://[::1]:9/v1"])
async def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    recorder = Recorder(ok())
    async with CargoClient(url, Secret(TOKEN), transport=httpx.MockTransport(recorder)) as client:
        await client.fetch_run_bytes(RUN)
    assert recorder.requests[0].url.scheme == "http"


# --- a real loopback server ----------------------------------------------------------------


class LoopbackServer:
    """Serves scripted raw HTTP answers on 127.0.0.1, one script step per connection."""

    def __init__(self, *steps: str) -> None:
        self.steps = list(steps)
        self.connections = 0
        self.requests: list[bytes] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: list[asyncio.Task[Any]] = []
        self._release = asyncio.Event()

    async def __aenter__(self) -> LoopbackServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        self._release.set()  # let hanging handlers finish rather than cancelling them
        await asyncio.gather(*self._handlers, return_exceptions=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.append(task)
        step = self.steps[min(self.connections, len(self.steps) - 1)]
        self.connections += 1
        self.requests.append(await reader.readuntil(b"\r\n\r\n"))
        if step == "hang":
            await self._release.wait()
            writer.close()
        elif step == "reset-mid-body":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n")
            writer.write(BODY[:100])
            await writer.drain()
            await asyncio.sleep(0.02)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
            writer.transport.abort()
        else:  # "ok"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            writer.write(b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY) + BODY)
            await writer.drain()
            writer.close()


async def test_loopback_http_reaches_the_server_with_the_token() -> None:
    async with LoopbackServer("ok") as server, CargoClient(server.url, Secret(TOKEN), "ws-9") as client:
        parsed = await client.fetch_run(RUN)
    assert parsed.response.run.uuid == RUN
    request_line, *header_lines = server.requests[0].decode().strip().split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in header_lines)}
    assert request_line == f"GET /v1/orchestration/runs/{RUN} HTTP/1.1"
    assert headers["authorization"] == "Bearer " + TOKEN
    assert headers["selected-workspace-uuid"] == "ws-9"


async def test_a_reset_mid_body_is_retried(sleeps: list[float]) -> None:
    async with (
        LoopbackServer("reset-mid-body", "ok") as server,
        CargoClient(server.url, Secret(TOKEN), retries=1) as client,
    ):
        parsed = await client.fetch_run(RUN)
    assert parsed.response.run.uuid == RUN
    assert server.connections == 2
    assert len(sleeps) == 1


async def test_a_reset_mid_body_is_a_network_error() -> None:
    async with LoopbackServer("reset-mid-body") as server:
        error = await fetch_error(CargoClient(server.url, Secret(TOKEN), retries=0))
    assert isinstance(error, NetworkError)
    assert error.message.startswith("the connection to 127.0.0.1 broke before the answer was complete")


async def test_a_server_that_never_answers_times_out() -> None:
    async with LoopbackServer("hang") as server:
        error = await fetch_error(
            CargoClient(server.url, Secret(TOKEN), retries=0, timeout=httpx.Timeout(0.1, connect=1.0))
        )
    assert isinstance(error, NetworkError)
    assert error.message == "the API did not answer within 0.1 s"


async def test_the_deadline_stops_retrying_a_server_that_never_answers() -> None:
    async with LoopbackServer("hang") as server:
        error = await fetch_error(
            CargoClient(server.url, Secret(TOKEN), retries=5, timeout=httpx.Timeout(5.0), deadline=0.2)
        )
    assert isinstance(error, NetworkError)
    assert error.message == "the API did not answer within 0.2 s"


async def test_connection_refused_is_a_network_error(sleeps: list[float]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the client connects
    error = await fetch_error(CargoClient(f"http://127.0.0.1:{port}", Secret(TOKEN), retries=2))
    assert isinstance(error, NetworkError)
    assert error.message == "could not connect to 127.0.0.1"
    assert len(sleeps) == 2


# --- floors under every wait (issue 14) -------------------------------------------------------------


@pytest.mark.parametrize("retry_after", ["0", "0.001", "Thu, 01 Jan 1970 00:00:00 GMT"])
async def test_a_retry_after_of_almost_nothing_is_raised_to_the_floor(
    sleeps: list[float], retry_after: str
) -> None:
    """`Retry-After: 0`, `0.001` or a date in the past: at least 1 s after a 429, and at least
    the client's own shortest back-off after a 503, never a burst of immediate retries."""
    recorder = Recorder(api_error(429, None, **{"Retry-After": retry_after}))
    await fetch_error(make_client(recorder, retries=3, backoff=0.5))
    assert len(sleeps) == 3 and min(sleeps) >= RateLimitedError.min_wait
    sleeps.clear()
    recorder = Recorder(api_error(503, None, **{"Retry-After": retry_after}))
    await fetch_error(make_client(recorder, retries=3, backoff=0.5))
    assert len(sleeps) == 3 and min(sleeps) >= 0.5 * (1 - 0.5)


def test_a_retry_after_is_always_a_finite_number() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    for value in ("9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"):
        waited = parse_retry_after(value, now)
        assert waited is not None and 0 < waited <= 86_400


async def test_an_absurd_retry_after_says_a_readable_wait() -> None:
    recorder = Recorder(api_error(429, None, **{"Retry-After": "9" * 400}))
    error = await fetch_error(make_client(recorder))
    assert isinstance(error, RateLimitedError) and error.hint == "it asks to wait 86400 s, then try again"


@pytest.mark.parametrize("options", [{"backoff": 0.0}, {"backoff": float("nan")}, {"deadline": float("nan")}])
def test_a_client_refuses_waits_that_are_zero_or_not_numbers(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CargoClient(API, Secret(TOKEN), **options)
