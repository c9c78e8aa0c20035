"""Settings for talking to the Cargo API: the token, the API URL, the workspace, the run.

Precedence is "flag beats environment beats default". The token lives in a `Secret` so it
never shows up in a repr, a log line, an error message or a crash report's frame locals.
No Textual import.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

from .errors import MIB, ConfigError, UsageError

DEFAULT_API_URL = "https://api.getcargo.io/v1"
DEFAULT_INTERVAL = 2.0
"""Cargo's recommended poll interval for a single run, in seconds."""

ENV_TOKEN = "CARGO_API_TOKEN"  # noqa: S105 - the name of a variable, not a secret
ENV_API_URL = "CARGO_API_URL"
ENV_WORKSPACE = "CARGO_WORKSPACE_UUID"
ENV_MAX_BODY = "RUN_INSPECTOR_MAX_BODY_MB"
DEFAULT_MAX_BODY_MB = 256.0
"""The largest body read, decompressed, in MB (2**20 bytes): a 15 MB run is a big one; 2 MB of
gzip inflating to 2 GB, or an endless chunked body, is not a run."""
DEFAULT_MAX_BODY = int(DEFAULT_MAX_BODY_MB * MIB)

_MAX_TOKEN_FILE_BYTES = 64 * 1024
_MAX_ID_LENGTH = 200
_ID = re.compile(r"[A-Za-z0-9_-]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

_HIDDEN = "<hidden>"


class Secret:
    """A value that is never shown: repr, str and format give '<hidden>'; `reveal()` gives it.

    Pickling raises (so it cannot be written out as plain text by accident); copying returns
    the same object. Equality compares in constant time and never reveals the value.
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return _HIDDEN

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return _HIDDEN

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]  # equal secrets must not be told apart by hash

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("a Secret is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self


@dataclass
class Settings:
    api_url: str = DEFAULT_API_URL
    workspace: str | None = None
    token: Secret | None = None
    interval: float = DEFAULT_INTERVAL
    warnings: list[str] = field(default_factory=list)
    """Things the user should know about (a token file readable by others...), never fatal."""


def settings_from(
    args_api_url: str | None,
    args_workspace: str | None,
    args_token_file: str | None,
    args_interval: float | None,
    environ: Mapping[str, str],
) -> Settings:
    """Build the settings: a flag beats the environment, which beats the default.

    Raises `ConfigError` for a bad URL, workspace, interval or token file.
    """
    api_url = api_url_from(args_api_url, environ)
    env_workspace = environ.get(ENV_WORKSPACE)
    env_token = _env_token(environ)
    del environ  # its repr holds the token: keep it out of a crash report's frame locals
    token, warnings = _load_token(args_token_file, env_token)
    workspace = _first(args_workspace, env_workspace)
    if workspace is not None:
        workspace = check_workspace(workspace)
    interval = DEFAULT_INTERVAL if args_interval is None else check_interval(args_interval)
    return Settings(api_url=api_url, workspace=workspace, token=token, interval=interval, warnings=warnings)


def _first(*values: str | None) -> str | None:
    """The first value that is set and not blank."""
    for value in values:
        if value is not None and value.strip():
            return value.strip()
    return None


def load_token(token_file: str | None, environ: Mapping[str, str]) -> tuple[Secret | None, list[str]]:
    """The API token from `--token-file PATH`, else from `CARGO_API_TOKEN`; plus warnings.

    Returns `(None, [])` when neither is given. Messages never contain the token, and the
    token is never held in a plain local variable (crash reports print frame locals).
    """
    env_token = _env_token(environ)
    del environ  # its repr holds the token
    return _load_token(token_file, env_token)


def _env_token(environ: Mapping[str, str]) -> Secret | None:
    return Secret(environ[ENV_TOKEN]) if ENV_TOKEN in environ else None


def _load_token(token_file: str | None, env_token: Secret | None) -> tuple[Secret | None, list[str]]:
    if token_file is not None:
        return _read_token_file(token_file)
    if env_token is None:
        return None, []
    if not env_token.reveal().strip():
        return None, [f"{ENV_TOKEN} is set but empty; ignoring it"]
    return _checked_token(env_token, f"the token in {ENV_TOKEN}"), []


def _read_token_file(token_file: str) -> tuple[Secret, list[str]]:
    path = Path(token_file).expanduser()
    secret: Secret | None = None
    problem = "it could not be read"
    mode = 0
    # Errors are raised after the `try`, unchained: a UnicodeDecodeError holds the file's bytes.
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if stat.S_ISDIR(mode):
                problem = "it is a directory"
            else:
                secret = Secret(handle.read(_MAX_TOKEN_FILE_BYTES + 1).decode("utf-8"))
    except FileNotFoundError:
        problem = "no such file"
    except IsADirectoryError:
        problem = "it is a directory"
    except PermissionError:
        problem = "permission denied"
    except UnicodeDecodeError:
        problem = "it is not UTF-8 text"
    except OSError as exc:
        problem = exc.strerror or type(exc).__name__
    if secret is None:
        raise ConfigError(f"cannot read token file {path}: {problem}", "check --token-file")
    if len(secret.reveal()) > _MAX_TOKEN_FILE_BYTES:
        raise ConfigError(
            f"cannot read token file {path}: it is too large to hold a token", "check --token-file"
        )
    if not secret.reveal().strip():
        raise ConfigError(f"token file {path} is empty", "put the API token in it")
    warnings: list[str] = []
    if os.name == "posix" and stat.S_ISREG(mode) and mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.append(f"token file {path} is readable by other users; chmod 600 it")
    return _checked_token(secret, f"the token in {path}"), warnings


def _checked_token(secret: Secret, where: str) -> Secret:
    """The stripped token, if it can travel in an HTTP header. Never shows the value."""
    if secret.reveal().strip()[:7].lower() == "bearer ":
        raise ConfigError(f"{where} starts with 'Bearer '", "keep only the token itself")
    if not all("!" <= char <= "~" for char in secret.reveal().strip()):
        raise ConfigError(
            f"{where} contains spaces, line breaks or characters that cannot be sent in an HTTP header",
            "keep only the token itself, on one line",
        )
    return Secret(secret.reveal().strip())


def check_api_url(url: str) -> str:
    """Normalise the API base URL and refuse one the token must not be sent to.

    Plain http is only allowed for loopback hosts (localhost, 127.0.0.0/8, ::1), so the token
    never crosses a network in clear text. Raises `ConfigError` before any connection is made.
    """
    text = url.strip().rstrip("/")
    if not all("!" <= char <= "~" for char in text):
        raise ConfigError(
            "the API URL contains spaces or characters outside ASCII", f"e.g. {DEFAULT_API_URL}"
        )
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
        _parsed_by_httpx(text)
    except ValueError as exc:
        raise ConfigError(f"the API URL is not valid: {exc}", f"e.g. {DEFAULT_API_URL}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise ConfigError("the API URL must start with https:// and name a host", f"e.g. {DEFAULT_API_URL}")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            "the API URL must not contain a user name or password",
            f"pass the token with --token-file or {ENV_TOKEN}",
        )
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise ConfigError("the API URL must not have a query or a fragment", f"e.g. {DEFAULT_API_URL}")
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"refusing to send the token over plain http to {host}",
            "use https:// (plain http is only allowed for localhost)",
        )
    return scheme + text[len(parts.scheme) :]


def _parsed_by_httpx(url: str) -> None:
    """Raise ValueError when httpx, which sends the request, cannot read `url`: urllib and httpx
    disagree on some (`http://[::1]./v1` has no port for one, a bad one for the other), and a URL
    that passed these checks then failed in the client as an internal error."""
    import httpx

    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(str(exc)) from None


def is_loopback_host(host: str) -> bool:
    """True for 'localhost', 127.0.0.0/8 and ::1 (also written as an IPv4-mapped IPv6 address).

    Only these literal forms: `localhost.` and `127.0.0.1.` (a trailing dot) are names that go
    to DNS (a resolver's search domains and a hostile zone can answer them), not loopback.
    """
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_workspace(workspace: str) -> str:
    """A workspace id goes into a header: only letters, digits, '-' and '_'."""
    value = workspace.strip()
    if not _ID.fullmatch(value) or len(value) > _MAX_ID_LENGTH:
        raise ConfigError(
            "the workspace must be a workspace uuid (letters, digits, '-' and '_')",
            f"check --workspace or {ENV_WORKSPACE}",
        )
    return value


def max_body_bytes(flag_mb: float | None, environ: Mapping[str, str]) -> int:
    """The body limit in bytes, from `--max-body MB`, else `RUN_INSPECTOR_MAX_BODY_MB`, else 256."""
    text = environ.get(ENV_MAX_BODY)
    del environ  # its repr holds the token
    if flag_mb is not None:
        megabytes, where = flag_mb, "--max-body"
    elif text is not None and text.strip():
        where = ENV_MAX_BODY
        try:
            megabytes = float(text)
        except ValueError:
            megabytes = math.nan
    else:
        megabytes, where = DEFAULT_MAX_BODY_MB, "the default body limit"
    if not math.isfinite(megabytes) or not 0 < megabytes <= 1024 * 1024:
        raise ConfigError(f"{where} must be a positive number of megabytes", "e.g. --max-body 512")
    return max(int(megabytes * MIB), 1)


def check_interval(interval: float) -> float:
    """The poll interval, for every source (the API, a file, the demo): finite and positive."""
    if not math.isfinite(interval) or interval <= 0:
        raise ConfigError("--interval must be a positive number of seconds", "e.g. --interval 2")
    return float(interval)


def parse_run_ref(text: str, *, uuid_only: bool = False) -> str:
    """The run id in RUN: a bare run uuid (or id), or a Cargo app URL containing one.

    In a URL the id after a `runs/` path segment wins, else the last uuid-looking segment.
    Raises `UsageError` when there is no plausible id. With `uuid_only` (Cargo's API: its run
    ids are uuids) the id must be a uuid (8-4-4-4-12 hex digits), so `123` or a cut-off uuid is
    said here rather than by the API; without it (a local simulator or test server on loopback)
    any id of letters, digits, `-` and `_` is taken.
    """
    found = _parse_ref(text, "runs", "run", "RUN argument")
    if not uuid_only or _UUID.fullmatch(found):
        return found
    uuids = _UUID.findall(text)
    if uuids:  # a URL whose `runs/` segment is not a uuid, with a uuid elsewhere
        return str(uuids[-1])
    value = text.strip()
    shown = value if len(value) <= 60 else value[:59] + "\u2026"
    raise UsageError(
        f"RUN '{shown}' is not a run uuid" if _ID.fullmatch(value) else "no run uuid found in the RUN argument",
        f"Cargo run ids are uuids like {_EXAMPLE_UUID}: pass one, or the run's URL from the Cargo app",
    )


_EXAMPLE_UUID = "3f1c2a9b-0c4d-4e5f-8a6b-7c8d9e0f1a2b"


def api_url_from(flag: str | None, environ: Mapping[str, str]) -> str:
    """The API base URL: `--api-url`, else `CARGO_API_URL`, else the default; checked
    (`check_api_url`), so a plain-http URL to a remote host is refused here."""
    text = environ.get(ENV_API_URL)
    del environ  # its repr holds the token
    return check_api_url(_first(flag, text) or DEFAULT_API_URL)


def is_loopback_url(url: str) -> bool:
    """True when a (checked) API URL names a loopback host: a local simulator or test server."""
    host = urlsplit(url).hostname
    return host is not None and is_loopback_host(host)


def parse_workflow_ref(text: str) -> str:
    """The workflow id in `--workflow`: a bare workflow uuid (or id), or a Cargo app URL
    containing one (the id after a `workflows/` path segment, else the last uuid)."""
    return _parse_ref(text, "workflows", "workflow", "--workflow value")


def _parse_ref(text: str, segment: str, noun: str, where: str) -> str:
    value = text.strip()
    hint = f"pass a {noun} uuid or the URL of the {noun} in the Cargo app"
    if not value:
        raise UsageError(f"no {noun} was given", hint)
    if _ID.fullmatch(value):
        if len(value) > _MAX_ID_LENGTH:
            raise UsageError(f"the {noun} id is too long", hint)
        return value
    found = _id_in_url(value, segment) if ("/" in value or "?" in value or "#" in value) else None
    if found is None:
        uuids = _UUID.findall(value)
        found = uuids[-1] if uuids else None
    if found is None:
        raise UsageError(f"no {noun} uuid found in the {where}", hint)
    return found


def _id_in_url(value: str, segment: str) -> str | None:
    parts = urlsplit(value)
    # Hash routing (".../#/workspaces/.../runs/<uuid>") puts the path in the fragment.
    segments = [unquote(s) for s in re.split(r"[/]+", parts.path + "/" + parts.fragment.split("?")[0])]
    for index in range(len(segments) - 2, -1, -1):
        candidate = segments[index + 1]
        if segments[index] == segment and _ID.fullmatch(candidate) and len(candidate) <= _MAX_ID_LENGTH:
            return candidate
    uuids = [s for s in segments if _UUID.fullmatch(s)]
    if uuids:
        return uuids[-1]
    uuids = _UUID.findall(unquote(parts.query + "&" + parts.fragment))
    return uuids[-1] if uuids else None
