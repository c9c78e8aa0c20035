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


class UnreadableBodyError(InvalidResponseError):
    """A body that is not a GET-run response, worded for an API answer (`check --api-url`).

    `problem` names what is wrong (`empty`, `html`, `not-json`, `cut-short`, `not-object`,
    `no-run`, `malformed`) and `fact` the one detail that goes with it (the start of the body,
    the size it stops at, the JSON type it is), so the same fault can be said about a file
    instead (`in_file`): a saved file is not cut short by a proxy."""

    def __init__(self, message: str, hint: str = "", *, problem: str, fact: str = "") -> None:
        super().__init__(message, hint)
        self.problem = problem
        self.fact = fact

    def in_file(self, name: str) -> FileReadError:
        """The same fault said of `name` (a path, or "standard input")."""
        saved = "--file reads a run saved from GET /v1/orchestration/runs/{uuid}, or a bundle saved in the app with s"
        message, hint = {
            "empty": (f"{name} is empty", saved),
            "html": (f"{name} is not JSON (it looks like an HTML page)", saved),
            "not-json": (f"{name} is not JSON (it starts with {self.fact})", saved),
            "cut-short": (
                f"{name} is not JSON: it stops after {self.fact} bytes, before the JSON is complete",
                "the file is cut short: save or download it again",
            ),
            "not-object": (f"{name} is JSON but not a saved run (it is a {self.fact}, not an object)", saved),
            "no-run": (f"{name} is JSON but not a saved run (it has no 'run' object)", saved),
        }.get(self.problem, (f"the run in {name} could not be read", "the file is malformed"))
        return FileReadError(message, hint, path=name)


class FileReadError(InvalidResponseError):
    """A saved file (`--file`, or a run in a bundle) that is not a run, worded as a file's
    fault, with `path`: what the file is called (its path as given, or "standard input").

    An `InvalidResponseError`: the headless modes exit 3, and a poller gives up at once (a file
    does not change)."""

    def __init__(self, message: str, hint: str = "", *, path: str) -> None:
        super().__init__(message, hint)
        self.path = path


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
