"""The async client for `GET /orchestration/runs/{uuid}`: retries, deadlines, typed errors.

Retries use httpx-retries' `RetryTransport` with a small `Retry` subclass, because the
stock one does not fit a poller in three ways:

- it cuts a long `Retry-After` down to `max_backoff_wait` and asks again early; here a
  `Retry-After` longer than `max_backoff` (or a wait that would overrun the fetch deadline)
  ends the retries at once and the 429/5xx is reported, with `retry_after`, so the poller
  waits as long as the server asked;
- its first wait is `2 * backoff_factor`; here it is `backoff`, then doubling, with jitter;
- it sleeps with `asyncio.sleep` directly; here through `_sleep`, so tests can record waits.

The wrapped transport reads the whole body inside the retry loop, so a connection reset
mid-body is retried like a failed connection. Only connection errors, timeouts, 429, 502,
503 and 504 are retried; never 401, 403 or 404.

The token lives in a `Secret`. It is put in the `Authorization` header inside the auth flow
without being bound to a local variable (crash reports print frame locals), never goes in a
URL, and is scrubbed from any message the API sends back. Errors from httpx are mapped
without chaining, so no httpcore frame appears in a traceback: their locals can hold the raw
headers (h11's `Request` event while sending them, a WriteError away). No Textual import.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import urllib.request
from collections.abc import Generator
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
from httpx_retries import Retry, RetryTransport

from . import __version__
from .config import ENV_TOKEN, ENV_WORKSPACE, Secret, check_api_url, check_workspace, is_loopback_host
from .errors import (
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
from .models import ParsedResponse, parse_run_response
from .sanitize import one_line

RETRY_STATUSES = (429, 502, 503, 504)
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
"""Connect 5 s; read, write and pool 15 s each. The whole fetch is bounded by `deadline`."""
USER_AGENT = f"run-inspector/{__version__}"

_MAX_API_MESSAGE = 300
_MIN_HIDDEN_LENGTH = 8
"""A token shorter than this is not searched for in what the server sends: it would match
ordinary text ('t' in every word) and mangle the run, and a real token is far longer."""
_DEADLINE_AT: ContextVar[float | None] = ContextVar("run_inspector_fetch_deadline", default=None)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


async def _sleep(seconds: float) -> None:
    """The wait between retries (a module attribute so tests can replace it)."""
    await asyncio.sleep(seconds)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def run_path(run_uuid: str) -> str:
    """The request path for a run, with the id percent-encoded (dots too, so '..' stays a name)."""
    if not run_uuid or run_uuid.strip() != run_uuid:
        raise UsageError("the run id is empty or has surrounding spaces", "pass a run uuid")
    return "orchestration/runs/" + quote(run_uuid, safe="").replace(".", "%2E")


class _StopRetrying(Exception):
    """Raised from the retry sleep to hand the last response back instead of waiting."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _CargoRetry(Retry):
    """`Retry` that honours `Retry-After` fully or not at all, and respects the fetch deadline."""

    def backoff_strategy(self) -> float:
        if self.backoff_factor == 0:
            return 0.0
        # attempts_made is already 1 before the first wait: wait `backoff`, then double.
        backoff: float = self.backoff_factor * 2 ** max(self.attempts_made - 1, 0)
        backoff *= random.uniform(1 - self.backoff_jitter, 1)
        return min(backoff, self.max_backoff_wait)

    async def asleep(self, response: httpx.Response | Exception) -> None:
        delay = self.backoff_strategy()
        if isinstance(response, httpx.Response) and self.respect_retry_after_header:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.max_backoff_wait:
                raise _StopRetrying(response)
            if retry_after:
                delay = retry_after
        deadline_at = _DEADLINE_AT.get()
        if deadline_at is not None and asyncio.get_running_loop().time() + delay >= deadline_at:
            # Waiting would overrun the deadline: report what happened rather than a timeout.
            if isinstance(response, Exception):
                raise response
            raise _StopRetrying(response)
        await _sleep(delay)
        self.elapsed_sleep += delay


class _ReadWholeBody(httpx.AsyncBaseTransport):
    """Reads the body inside the retry loop, so a reset mid-body is retried too."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _BearerAuth(httpx.Auth):
    """`Authorization: Bearer ...` from a `Secret`, never holding the token in a local."""

    def __init__(self, secret: Secret) -> None:
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + self._secret.reveal()
        yield request

    def __repr__(self) -> str:
        return "<BearerAuth <hidden>>"


def _default_transport(url: httpx.URL) -> httpx.AsyncBaseTransport:
    """A real transport. A custom transport makes httpx skip proxy variables, so apply them here."""
    proxy = None
    if not is_loopback_host(url.host) and not urllib.request.proxy_bypass(url.host):
        proxies = urllib.request.getproxies()
        proxy = proxies.get(url.scheme) or proxies.get("all")
    try:
        return httpx.AsyncHTTPTransport(proxy=proxy)
    except (ValueError, ImportError) as exc:
        # The proxy URL may hold credentials: name the problem, not the URL.
        raise ConfigError(
            f"the proxy set in the environment cannot be used ({type(exc).__name__})",
            "check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY",
        ) from None


def _without_frames(exc: Exception) -> Exception:
    """`exc` cut loose from the frames it was raised in, and from the exceptions before it.

    Those frames are httpx's, httpcore's and h11's: their locals hold every request header
    (h11's `Request` event while it sends them), the token included, and a crash report (or
    `RUN_INSPECTOR_DEBUG=1`) would print them. The type and message say what went wrong.
    """
    exc.__cause__ = exc.__context__ = None
    exc.__suppress_context__ = True
    return exc.with_traceback(None)


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


class CargoClient:
    """Fetches runs from the Cargo API. Use as `async with CargoClient(...) as client:`."""

    def __init__(
        self,
        api_url: str,
        token: Secret | None,
        workspace: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        deadline: float = 30.0,
    ) -> None:
        self.api_url = check_api_url(api_url)
        url = httpx.URL(self.api_url)
        if url.scheme != "https" and not is_loopback_host(url.host):  # the check above, as httpx sees it
            raise ConfigError(f"refusing to send the token over plain http to {url.host}", "use https://")
        if deadline <= 0:
            raise ValueError("deadline must be positive")
        self.host = url.host
        self.workspace = check_workspace(workspace) if workspace else None
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.deadline = deadline
        self._token = token
        retry = _CargoRetry(
            total=retries,
            allowed_methods=["GET"],
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff,
            backoff_jitter=0.5,
            max_backoff_wait=max_backoff,
            respect_retry_after_header=True,
        )
        inner = transport if transport is not None else _default_transport(url)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.workspace:
            headers["selected-workspace-uuid"] = self.workspace
        self._http = httpx.AsyncClient(
            base_url=self.api_url + "/",
            transport=RetryTransport(transport=_ReadWholeBody(inner), retry=retry),
            auth=_BearerAuth(token) if token is not None else None,
            headers=headers,
            timeout=self.timeout,
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        # getattr: a repr may be asked for while __init__ is failing (tracebacks with locals).
        token = "<hidden>" if getattr(self, "_token", None) is not None else "None"
        api_url, workspace = getattr(self, "api_url", None), getattr(self, "workspace", None)
        return f"CargoClient(api_url={api_url!r}, workspace={workspace!r}, token={token})"

    async def __aenter__(self) -> CargoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def fetch_run(self, run_uuid: str) -> ParsedResponse:
        """The parsed run; raises a `FetchError` subclass (`InvalidResponseError` for a bad body)."""
        return parse_run_response(await self.fetch_run_bytes(run_uuid))

    async def fetch_run_bytes(self, run_uuid: str) -> bytes:
        """The raw body of a successful GET-run; raises a `FetchError` subclass otherwise."""
        outcome = await self._get(run_path(run_uuid))
        if isinstance(outcome, Exception):
            raise outcome  # outside any `except`: no httpx exception chained to it
        error = self._status_error(outcome, run_uuid)
        if error is not None:
            raise error
        return self._without_token(outcome.content)

    def _without_token(self, body: bytes) -> bytes:
        """The body with the token replaced, should a server or proxy send it back (an echo)."""
        token = self._token_to_hide()
        if token is None:
            return body
        body = body.replace(token.reveal().encode(), b"<hidden>")
        return body.replace(json.dumps(token.reveal())[1:-1].encode(), b"<hidden>")  # as JSON writes it

    def _token_to_hide(self) -> Secret | None:
        """The token, when it is long enough to look for (see `_MIN_HIDDEN_LENGTH`)."""
        token = self._token
        return token if token is not None and len(token.reveal()) >= _MIN_HIDDEN_LENGTH else None

    async def _get(self, path: str) -> httpx.Response | Exception:
        loop = asyncio.get_running_loop()
        marker = _DEADLINE_AT.set(loop.time() + self.deadline)
        try:
            async with asyncio.timeout(self.deadline):
                return await self._http.get(path)
        except _StopRetrying as stop:
            return stop.response
        except TimeoutError:
            return NetworkError(
                f"the API did not answer within {_seconds(self.deadline)} s", self._network_hint()
            )
        except httpx.HTTPError as exc:
            return self._transport_error(exc)
        except Exception as exc:
            return _without_frames(exc)  # not an httpx error: a bug below, reported as it is
        finally:
            _DEADLINE_AT.reset(marker)

    def _network_hint(self) -> str:
        return "check your connection and --api-url, then try again"

    def _transport_error(self, exc: httpx.HTTPError) -> FetchError:
        kind = type(exc).__name__
        hint = self._network_hint()
        if isinstance(exc, httpx.ConnectTimeout):
            return NetworkError(
                f"could not connect to {self.host} within {_seconds(self.timeout.connect)} s", hint
            )
        if isinstance(exc, httpx.TimeoutException):
            limit = self.timeout.read if isinstance(exc, httpx.ReadTimeout) else None
            return NetworkError(f"the API did not answer within {_seconds(limit or self.deadline)} s", hint)
        if isinstance(exc, httpx.ProxyError):
            return NetworkError(f"could not connect to {self.host} through the proxy ({kind})", hint)
        if isinstance(exc, httpx.ConnectError):
            return NetworkError(f"could not connect to {self.host}", hint)
        if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
            return NetworkError(
                f"the connection to {self.host} broke before the answer was complete ({kind})", hint
            )
        if isinstance(exc, httpx.DecodingError):
            return InvalidResponseError(f"the response could not be decoded ({kind})", "check --api-url")
        return RequestError(f"the request could not be sent ({kind})", "check --api-url")

    def _status_error(self, response: httpx.Response, run_uuid: str) -> FetchError | None:
        code = response.status_code
        if 200 <= code < 300:
            return None
        detail = self._api_message(response.content)
        suffix = f": {detail}" if detail else ""
        if code == 401:
            if self._token is None:
                return UnauthorizedError(
                    f"the API wants a token (401){suffix}",
                    f"set {ENV_TOKEN} or pass --token-file",
                    status_code=code,
                )
            return UnauthorizedError(
                f"the API rejected the token (401){suffix}",
                f"check {ENV_TOKEN} or --token-file",
                status_code=code,
            )
        if code == 403:
            return ForbiddenError(
                f"the token may not read run {one_line(run_uuid, 80)} (403){suffix}",
                f"check --workspace / {ENV_WORKSPACE}: the run must be in the selected workspace",
                status_code=code,
            )
        if code == 404:
            return NotFoundError(
                f"run {one_line(run_uuid, 80)} was not found (404){suffix}",  # a child run's id is API text
                "check the run uuid, and the workspace with --workspace",
                status_code=code,
            )
        if code == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            wait = f"it asks to wait {retry_after:.0f} s" if retry_after else "wait a little"
            return RateLimitedError(
                f"the API is limiting requests (429){suffix}",
                f"{wait}, then try again",
                status_code=code,
                retry_after=retry_after,
            )
        if 300 <= code < 400:
            return RequestError(
                f"the API answered with a redirect ({code}), which is not followed",
                "check --api-url, e.g. https://api.getcargo.io/v1",
                status_code=code,
            )
        if 500 <= code < 600:
            return ServerError(
                f"the API failed with a server error ({code}){suffix}",
                "Cargo may be having trouble; try again in a moment",
                status_code=code,
            )
        return RequestError(f"the API refused the request ({code}){suffix}", "", status_code=code)

    def _api_message(self, body: bytes) -> str:
        """The API's `errorMessage` (or `reason`), scrubbed of the token, made safe, shortened.

        Safe: every view shows error messages, so escape sequences and control characters
        are dealt with here, once, rather than by each of them.

        An empty body gives ''; a body that is not JSON is described, not quoted.
        """
        if not body.strip():
            return ""
        try:
            data: Any = json.loads(body)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            if body.lstrip()[:1] == b"<":
                return "the body is an HTML page, perhaps from a proxy"
            return ""
        text = data.get("errorMessage") or data.get("reason")
        if not isinstance(text, str) or not text.strip():
            return ""
        token = self._token_to_hide()
        if token is not None:
            text = text.replace(token.reveal(), "<hidden>")
        return one_line(text.strip(), _MAX_API_MESSAGE)
