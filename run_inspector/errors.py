"""Typed errors with a message a person can act on. No Textual import."""

from __future__ import annotations

from .sanitize import one_line


class InspectorError(Exception):
    """Base class: `message` says what failed, `hint` what to do about it."""

    exit_code = 3

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(InspectorError):
    exit_code = 2


class ConfigError(UsageError):
    """A setting is wrong (no token, plain http to a remote host, unreadable token file)."""


class FetchError(InspectorError):
    """The run could not be fetched. `retryable` tells a poller whether to try again."""

    retryable = False

    def __init__(self, message: str, hint: str = "", *, status_code: int | None = None) -> None:
        super().__init__(message, hint)
        self.status_code = status_code
        self.detail = ""
        """The API's own words (`errorMessage`), made safe, when it answered with an error."""


class UnauthorizedError(FetchError):
    pass


class ForbiddenError(FetchError):
    pass


class NotFoundError(FetchError):
    pass


class NotAvailableError(FetchError):
    """What was asked for is not where the run came from: an endpoint a saved file cannot
    answer, or a part of a bundle that was not saved. Said as "not available", never a fault."""


class RateLimitedError(FetchError):
    retryable = True
    min_wait = 1.0
    """Seconds to wait at least before asking again, whatever `Retry-After` says (`0`, `0.001`
    or a date in the past made a poller ask thousands of times in ten seconds)."""

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        status_code: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint, status_code=status_code)
        self.retry_after = retry_after


class ServerError(FetchError):
    retryable = True


class RequestError(FetchError):
    """Another 4xx answer."""


class NetworkError(FetchError):
    retryable = True


class InvalidResponseError(FetchError):
    """The body is not a GET-run response (not JSON, no `run` object, an HTML page...)."""


MIB = 1024 * 1024


class BodyTooLargeError(InvalidResponseError):
    """The response (or file), decompressed, is larger than the body limit (`--max-body`).

    An `InvalidResponseError`, so a poller keeps the run it has and tries again later, and the
    headless modes exit 3."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(
            f"{what} is larger than the {limit / MIB:g} MB limit",
            "if the run really is that big, raise it with --max-body MB or RUN_INSPECTOR_MAX_BODY_MB",
        )
        self.limit = limit



class RunMismatchError(InvalidResponseError):
    """The answer is another run than the one asked for. An `InvalidResponseError`: a poller
    keeps the run it has and asks again (a proxy or cache mixing up answers may recover)."""

    def __init__(self, expected: str, got: str) -> None:
        super().__init__(
            f"the API answered with run {one_line(got, 80)} instead of run {one_line(expected, 80)}",
            "a proxy or cache may be mixing up answers; check --api-url",
        )
        self.expected = expected
        self.got = got
