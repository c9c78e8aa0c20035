"""The async client for `GET /orchestration/runs/{uuid}`: retries, deadlines, typed errors.

Retries use httpx-retries' `RetryTransport` with a small `Retry` subclass, because the
stock one does not fit a poller in four ways:

- it cuts a long `Retry-After` down to `max_backoff_wait` and asks again early; here a
  `Retry-After` longer than `max_backoff` (or a wait that would overrun the fetch deadline)
  ends the retries at once and the 429/5xx is reported, with `retry_after`, so the poller
  waits as long as the server asked;
- its first wait is `2 * backoff_factor`; here it is `backoff`, then doubling, with jitter;
- it sleeps with `asyncio.sleep` directly; here through `_sleep`, so tests can record waits;
- it takes `Retry-After: 0` at its word; here every wait has a floor (a second after a 429).

The wrapped transport reads the whole body inside the retry loop, so a connection reset
mid-body is retried like a failed connection; it decodes and counts it as it goes, so a body
larger than `max_body` once decompressed (a gzip bomb, an endless chunked body) is refused
after reading no more than that. Only connection errors, timeouts, 429, 502, 503 and 504 are
retried; never 401, 403 or 404.

The token lives in a `Secret`. It is put in the `Authorization` header inside the auth flow
without being bound to a local variable (crash reports print frame locals), never goes in a
URL, and is hidden wherever the API sends it back, in any encoding (`_TokenEchoes`). Errors from httpx are mapped
without chaining, so no httpcore frame appears in a traceback: their locals can hold the raw
headers (h11's `Request` event while sending them, a WriteError away). No Textual import.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import urllib.request
import zlib
from collections.abc import AsyncIterator, Generator, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, AnyStr
from urllib.parse import quote

import httpx
from httpx_retries import Retry, RetryTransport

from . import __version__
from .config import (
    DEFAULT_MAX_BODY,
    ENV_TOKEN,
    ENV_WORKSPACE,
    Secret,
    check_api_url,
    check_workspace,
    is_loopback_host,
)
from .errors import (
    BodyTooLargeError,
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
_ERROR_BODY_LIMIT = 64 * 1024
"""An error answer (4xx, 5xx) is read for its message only: no more of it than this."""
_PIECE = 64 * 1024
"""Decoded bytes made at a time by a `gzip`/`deflate` layer."""

_MAX_API_MESSAGE = 300
_MIN_HIDDEN_LENGTH = 8
"""A token shorter than this is not searched for in what the server sends: it would match
ordinary text ('t' in every word) and mangle the run, and a real token is far longer."""
_DEADLINE_AT: ContextVar[float | None] = ContextVar("run_inspector_fetch_deadline", default=None)
_HIDDEN = "<hidden>"
_NAMED_ENTITIES = {
    "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos", "/": "sol", "+": "plus",
    "=": "equals", "!": "excl", "#": "num", "$": "dollar", "%": "percnt", "(": "lpar",
    ")": "rpar", "*": "ast", ",": "comma", ".": "period", ":": "colon", ";": "semi",
    "?": "quest", "@": "commat", "[": "lsqb", "\\": "bsol", "]": "rsqb", "^": "Hat",
    "_": "lowbar", "`": "grave", "{": "lcub", "|": "verbar", "}": "rcub",
}  # fmt: skip
"""HTML5 names of the printable ASCII characters a token can hold, besides letters and digits."""
_ECHO_REACH = 40
"""Characters one token character can take once encoded (`&amp;amp;amp;#x0002f;` and a few
backslashes): the most `_TokenEchoes` reads on each side of a fragment it found."""
_UNTOUCHED_RUN = re.compile(r"[A-Za-z0-9._-]+")
"""Characters that no encoder a server could echo with (JSON, URL, HTML) ever rewrites."""
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MAX_RETRY_AFTER = 86_400.0
"""A longer `Retry-After` is read as a day: the poller caps its wait far below anyway, and a
number is then always finite and short enough to print."""


async def _sleep(seconds: float) -> None:
    """The wait between retries (a module attribute so tests can replace it)."""
    await asyncio.sleep(seconds)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return min(float(text), _MAX_RETRY_AFTER)  # 400 digits are `inf` as a float
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - (now or datetime.now(UTC))).total_seconds()), _MAX_RETRY_AFTER)


def run_path(run_uuid: str) -> str:
    """The request path for a run, with the id percent-encoded (dots too, so '..' stays a name)."""
    if not run_uuid or run_uuid.strip() != run_uuid:
        raise UsageError("the run id is empty or has surrounding spaces", "pass a run uuid")
    return "orchestration/runs/" + quote(run_uuid, safe="").replace(".", "%2E")


def _char_echoes(char: str) -> str:
    """A regex for one character of the token as a server could echo it.

    As it is, JSON-escaped (`\\/`, `\\u002f` in either case, with the backslashes doubled by an
    echo inside a JSON string), percent-encoded (`%2F`, `%252F`), an HTML character reference
    (`&#47;`, `&#x2F;`, `&sol;`, `&amp;#47;`); a `+` also as a space or `%20` (a form decoder).
    Repetitions are bounded, so a match is at most `_ECHO_REACH` characters a token character.
    """
    code = ord(char)
    hex_ = f"{code:02x}"
    forms = [
        rf"\\u00{hex_}",
        rf"%(?:25){{0,3}}{hex_}",
        rf"&(?:amp;){{0,3}}#(?:0{{0,4}}{code}|x0{{0,4}}{hex_});?",
    ]
    if char in _NAMED_ENTITIES:
        forms.append(rf"&(?:amp;){{0,3}}{_NAMED_ENTITIES[char]};")
    if char == "+":
        forms += [" ", "%(?:25){0,3}20"]
    return rf"\\{{0,8}}(?:{re.escape(char)}|(?i:{'|'.join(forms)}))"


class _TokenEchoes:
    """Finds the token in what a server sends back, in every encoding it could plausibly use.

    A server or proxy that echoes the token rarely echoes it raw: PHP's `json_encode` writes `/`
    as `\\/`, Go's writes `&` and `<` as `\\u0026` and `\\u003c`, an error page percent-encodes
    it or writes HTML entities, and a base64 token is full of `/`, `+` and `=`. One compiled
    pattern matches any mix of those encodings, character by character.

    Cheap on a big body: the longest run of the token's letters, digits, `.`, `_` and `-` (which
    none of those encodings rewrites) is looked for first with `find`; the pattern then runs only
    around each place it is found. A token without such a run of 4 or more is looked for with
    the pattern over the whole text. The repr shows nothing of the token.
    """

    __slots__ = ("_fragment_bytes", "_fragment_text", "_patterns", "_reach", "_token")
    _token: Secret
    _patterns: tuple[re.Pattern[str], re.Pattern[bytes]] | None
    _fragment_text: str | None
    _fragment_bytes: bytes | None
    _reach: int

    def __init__(self, token: Secret) -> None:
        self._token = token
        self._patterns = None  # compiled when first needed: 0.2 s for a 1 KB token, at every start
        runs = sorted(_UNTOUCHED_RUN.findall(token.reveal()), key=len)
        self._fragment_text = runs[-1] if runs and len(runs[-1]) >= 4 else None
        self._fragment_bytes = self._fragment_text.encode() if self._fragment_text else None
        self._reach = _ECHO_REACH * len(token.reveal())

    def __repr__(self) -> str:
        return "<token echoes>"

    def _compiled(self) -> tuple[re.Pattern[str], re.Pattern[bytes]]:
        if self._patterns is None:
            pattern = "".join(_char_echoes(char) for char in self._token.reveal())
            self._patterns = (re.compile(pattern), re.compile(pattern.encode()))
        return self._patterns

    def hide_in_bytes(self, body: bytes) -> bytes:
        if self._fragment_bytes is not None and self._fragment_bytes not in body:
            return body
        return _hide(body, self._compiled()[1], self._fragment_bytes, _HIDDEN.encode(), self._reach)

    def hide_in_text(self, text: str) -> str:
        if self._fragment_text is not None and self._fragment_text not in text:
            return text
        return _hide(text, self._compiled()[0], self._fragment_text, _HIDDEN, self._reach)


def _hide(
    value: AnyStr, pattern: re.Pattern[AnyStr], fragment: AnyStr | None, hidden: AnyStr, reach: int
) -> AnyStr:
    """`pattern` replaced by `hidden` in `value`, looking only within `reach` of each `fragment`."""
    if fragment is None:
        return pattern.sub(hidden, value)
    at = value.find(fragment)
    if at < 0:
        return value
    windows: list[list[int]] = []
    while at >= 0:
        start, end = max(at - reach, 0), min(at + len(fragment) + reach, len(value))
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
        at = value.find(fragment, at + 1)
    pieces: list[AnyStr] = []
    done = 0
    for start, end in windows:
        pieces += [value[done:start], pattern.sub(hidden, value[start:end])]
        done = end
    pieces.append(value[done:])
    return value[:0].join(pieces)


class _StopRetrying(Exception):
    """Raised from the retry sleep to hand the last response back instead of waiting."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _CargoRetry(Retry):
    """`Retry` that honours `Retry-After` fully or not at all, and respects the fetch deadline.

    A `Retry-After` shorter than the floor is raised to it: the shortest back-off this client
    waits on its own (`backoff` with full jitter), and `RateLimitedError.min_wait` after a 429.
    """

    def backoff_strategy(self) -> float:
        if self.backoff_factor == 0:
            return 0.0
        # attempts_made is already 1 before the first wait: wait `backoff`, then double.
        backoff: float = self.backoff_factor * 2 ** max(self.attempts_made - 1, 0)
        backoff *= random.uniform(1 - self.backoff_jitter, 1)
        return min(backoff, self.max_backoff_wait)

    def _floor(self, response: httpx.Response) -> float:
        floor: float = self.backoff_factor * (1 - self.backoff_jitter)
        return max(floor, RateLimitedError.min_wait) if response.status_code == 429 else floor

    async def asleep(self, response: httpx.Response | Exception) -> None:
        delay = self.backoff_strategy()
        if isinstance(response, httpx.Response) and self.respect_retry_after_header:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.max_backoff_wait:
                raise _StopRetrying(response)
            if retry_after is not None:
                delay = max(retry_after, self._floor(response))
        deadline_at = _DEADLINE_AT.get()
        if deadline_at is not None and asyncio.get_running_loop().time() + delay >= deadline_at:
            # Waiting would overrun the deadline: report what happened rather than a timeout.
            if isinstance(response, Exception):
                raise response
            raise _StopRetrying(response)
        await _sleep(delay)
        self.elapsed_sleep += delay


class _Inflater:
    """One `gzip` or `deflate` layer, decoding in pieces of at most `_PIECE` bytes.

    httpx's own decoders inflate each network read whole: 64 KB of a gzip bomb became 64 MB at
    once, before anything could count it. Here zlib's `max_length` bounds every output.
    """

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._raw = False  # deflate: a zlib stream, or (as some servers send it) raw deflate
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False

    def pieces(self, data: bytes) -> Iterator[bytes]:
        try:
            while True:
                out = self._zlib.decompress(data, _PIECE)
                self._started = True
                if out:
                    yield out
                data = self._zlib.unconsumed_tail
                if not data and len(out) < _PIECE:
                    return
        except zlib.error as exc:
            if self._gzip or self._started or self._raw:
                raise httpx.DecodingError(str(exc)) from None
            self._raw = True
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            yield from self.pieces(data)

    def flush(self) -> Iterator[bytes]:
        yield from self.pieces(b"")
        try:
            rest = self._zlib.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(str(exc)) from None
        if rest:
            yield rest


def _layers(response: httpx.Response) -> list[_Inflater]:
    """The decoders for `Content-Encoding`, the last applied first; refuses one not known."""
    layers: list[_Inflater] = []
    for value in reversed(response.headers.get_list("content-encoding", split_commas=True)):
        encoding = value.strip().lower()
        if encoding in ("", "identity"):
            continue
        if encoding not in ("gzip", "x-gzip", "deflate"):
            raise InvalidResponseError(
                f"the response is compressed as {one_line(encoding, 40)!r}, which is not read here",
                "check --api-url (a proxy may compress what the API sends; only gzip and deflate are asked for)",
            )
        layers.append(_Inflater(encoding))
    return layers


async def _read_bounded(response: httpx.Response, limit: int, *, cut: bool) -> bytes:
    """The decoded body, counted as it is decoded: past `limit` bytes, `BodyTooLargeError`, or
    (`cut`) the first `limit` bytes. What is held is never more than `limit` plus one piece."""
    if response.is_stream_consumed:  # built in memory (a test's or the demo's transport): decoded
        body = response.content
        if len(body) > limit and not cut:
            raise BodyTooLargeError("the response", limit)
        return body[:limit]
    layers = _layers(response)
    kept: list[bytes] = []
    size = 0

    def through(layer_index: int, data: bytes) -> Iterator[bytes]:
        if layer_index == len(layers):
            yield data
            return
        for piece in layers[layer_index].pieces(data):
            yield from through(layer_index + 1, piece)

    def flushed(layer_index: int) -> Iterator[bytes]:
        for piece in layers[layer_index].flush():
            yield from through(layer_index + 1, piece)

    async def raw() -> AsyncIterator[Iterator[bytes]]:
        async for chunk in response.aiter_raw():
            yield through(0, chunk)
        for index in range(len(layers)):
            yield flushed(index)

    async for pieces in raw():
        for piece in pieces:
            size += len(piece)
            if size > limit:
                if not cut:
                    raise BodyTooLargeError("the response", limit)
                kept.append(piece[: len(piece) - (size - limit)])
                return b"".join(kept)
            kept.append(piece)
    return b"".join(kept)


class _ReadBoundedBody(httpx.AsyncBaseTransport):
    """Reads and decodes the body inside the retry loop, counting decoded bytes as it goes.

    Inside the loop, so a reset mid-body is retried like a failed connection. A successful
    answer larger than `limit` once decoded raises `BodyTooLargeError` as soon as it gets there
    (a 2 MB gzip bomb, an endless chunked body); an error answer is only read for its message,
    so it is cut at `_ERROR_BODY_LIMIT`. The response handed on holds the decoded bytes.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        ok = 200 <= response.status_code < 300
        try:
            body = await _read_bounded(response, self._limit if ok else _ERROR_BODY_LIMIT, cut=not ok)
        finally:
            await response.aclose()
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=body,
            request=request,
            extensions=response.extensions,
        )

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
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.api_url = check_api_url(api_url)
        url = httpx.URL(self.api_url)
        if url.scheme != "https" and not is_loopback_host(url.host):  # the check above, as httpx sees it
            raise ConfigError(f"refusing to send the token over plain http to {url.host}", "use https://")
        if not deadline > 0 or not backoff > 0:  # a zero back-off would retry at once
            raise ValueError("deadline and backoff must be positive")
        self.host = url.host
        self.workspace = check_workspace(workspace) if workspace else None
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.deadline = deadline
        if max_body <= 0:
            raise ValueError("max_body must be positive")
        self.max_body = max_body
        """The largest successful body read, decoded, in bytes (`BodyTooLargeError` past it)."""
        self._token = token
        self._echoes = (
            _TokenEchoes(token) if token is not None and len(token.reveal()) >= _MIN_HIDDEN_LENGTH else None
        )
        retry = _CargoRetry(
            total=retries,
            allowed_methods=["GET", "POST"],  # Cargo's POSTs read (lists), or cancel: both safe to repeat
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff,
            backoff_jitter=0.5,
            max_backoff_wait=max_backoff,
            respect_retry_after_header=True,
        )
        inner = transport if transport is not None else _default_transport(url)
        # Only what `_ReadBoundedBody` decodes in bounded pieces (httpx adds `br` and `zstd`
        # when their packages are installed).
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": "gzip, deflate"}
        if self.workspace:
            headers["selected-workspace-uuid"] = self.workspace
        self._http = httpx.AsyncClient(
            base_url=self.api_url + "/",
            transport=RetryTransport(transport=_ReadBoundedBody(inner, self.max_body), retry=retry),
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
        error = self._status_error(outcome, f"run {one_line(run_uuid, 80)}")
        if error is not None:
            raise error
        return self._without_token(outcome.content)

    async def get_json(self, path: str, *, what: str) -> Any:
        """`GET path`, decoded; `what` names the thing in errors (`batch b1…`)."""
        return await self._json("GET", path, None, what)

    async def post_json(self, path: str, body: dict[str, Any], *, what: str) -> Any:
        """`POST path` with a JSON body, decoded."""
        return await self._json("POST", path, body, what)

    async def _json(self, method: str, path: str, body: dict[str, Any] | None, what: str) -> Any:
        outcome = await self._send(method, path, body)
        if isinstance(outcome, Exception):
            raise outcome
        error = self._status_error(outcome, what, run=False)
        if error is not None:
            error.detail = self._api_message(outcome.content)
            raise error
        try:
            return json.loads(self._without_token(outcome.content))
        except (ValueError, RecursionError):
            pass
        raise InvalidResponseError(f"the answer about {what} is not JSON", "check --api-url")

    def _without_token(self, body: bytes) -> bytes:
        """The body with the token replaced, should a server or proxy send it back (an echo)."""
        return body if self._echoes is None else self._echoes.hide_in_bytes(body)

    async def _get(self, path: str) -> httpx.Response | Exception:
        return await self._send("GET", path, None)

    async def _send(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response | Exception:
        loop = asyncio.get_running_loop()
        marker = _DEADLINE_AT.set(loop.time() + self.deadline)
        try:
            async with asyncio.timeout(self.deadline):
                if body is None:
                    return await self._http.request(method, path)
                return await self._http.request(method, path, json=body)
        except _StopRetrying as stop:
            return stop.response
        except FetchError as exc:  # raised while reading the body: too large, an unknown encoding
            return _without_frames(exc)
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

    def _status_error(self, response: httpx.Response, what: str, *, run: bool = True) -> FetchError | None:
        """The error an answer means, or None for a success. `what` names what was asked for
        (`run 3f1c…`, `the trace t1…`); `run` is False for the endpoints around a run, whose
        403 is about a permission and whose 404 may be an endpoint this API does not have."""
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
                f"the token may not read {what} (403){suffix}",
                f"check --workspace / {ENV_WORKSPACE}: the run must be in the selected workspace"
                if run
                else "the token needs the orchestration:read permission (and the right --workspace)",
                status_code=code,
            )
        if code == 404:
            return NotFoundError(
                f"{what} was not found (404){suffix}",  # a child run's id is API text
                "check the run uuid, and the workspace with --workspace" if run else "",
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
        if self._echoes is not None:
            text = self._echoes.hide_in_text(text)
        return one_line(text.strip(), _MAX_API_MESSAGE)
