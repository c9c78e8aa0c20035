"""Settings: the token as a Secret, where it comes from, the API URL, the RUN argument."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import traceback
from pathlib import Path

import pytest
from rich.pretty import pretty_repr

from run_inspector.config import (
    DEFAULT_API_URL,
    Secret,
    Settings,
    check_api_url,
    load_token,
    parse_run_ref,
    settings_from,
)
from run_inspector.errors import ConfigError, InspectorError, UsageError

TOKEN = "tok-SeCrEt-0123456789abcdef"
UUID = "0b9d1f7e-1111-4a2b-9c3d-123456789abc"


def env_with_token(**extra: str) -> dict[str, str]:
    # Built in a helper so the test's own frame never holds the token in a plain local.
    return {"CARGO_API_TOKEN": TOKEN, **extra}


def token_file(tmp_path: Path, text: str, mode: int = 0o600) -> str:
    path = tmp_path / "token"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def assert_token_hidden(exc: InspectorError) -> None:
    texts = [str(exc), repr(exc), exc.one_line(), *traceback.format_exception(exc)]
    texts += traceback.TracebackException.from_exception(exc, capture_locals=True).format()
    leaked = [text for text in texts if TOKEN in text]
    assert not leaked, leaked


# --- Secret --------------------------------------------------------------------------------


def test_secret_never_shows_its_value() -> None:
    secret = Secret(TOKEN)
    assert secret.reveal() == TOKEN
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret:>40}", format(secret)):
        assert TOKEN not in shown
        assert "<hidden>" in shown
    assert TOKEN not in pretty_repr(secret)
    assert TOKEN not in pretty_repr(Settings(token=secret))
    assert TOKEN not in repr(Settings(token=secret))
    assert TOKEN not in repr([secret, {"token": secret}])


def test_secret_equality_and_immutability() -> None:
    assert Secret(TOKEN) == Secret(TOKEN)
    assert Secret(TOKEN) != Secret("other")
    assert Secret(TOKEN) != TOKEN  # never equal to the plain string
    with pytest.raises(AttributeError):
        Secret(TOKEN)._value = "x"
    with pytest.raises(TypeError):
        hash(Secret(TOKEN))


def test_secret_cannot_be_pickled_but_can_be_copied() -> None:
    secret = Secret(TOKEN)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(secret, protocol)
    assert copy.copy(secret) is secret
    assert copy.deepcopy(secret) is secret
    assert dataclasses.asdict(Settings(token=secret))["token"] is secret


# --- load_token ----------------------------------------------------------------------------


def test_token_from_file_is_stripped(tmp_path: Path) -> None:
    token, warnings = load_token(token_file(tmp_path, f"  {TOKEN}\n"), {})
    assert token == Secret(TOKEN)
    assert warnings == []


def test_token_file_beats_the_environment(tmp_path: Path) -> None:
    token, _ = load_token(token_file(tmp_path, "from-file"), env_with_token())
    assert token == Secret("from-file")


def test_token_from_the_environment() -> None:
    token, warnings = load_token(None, env_with_token())
    assert token == Secret(TOKEN)
    assert warnings == []


def test_no_token_anywhere() -> None:
    assert load_token(None, {}) == (None, [])
    token, warnings = load_token(None, {"CARGO_API_TOKEN": "  "})
    assert token is None
    assert warnings == ["CARGO_API_TOKEN is set but empty; ignoring it"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_token_file_readable_by_others_is_warned_about(tmp_path: Path, mode: int) -> None:
    path = token_file(tmp_path, TOKEN, mode)
    token, warnings = load_token(path, {})
    assert token == Secret(TOKEN)
    assert warnings == [f"token file {path} is readable by other users; chmod 600 it"]


def test_an_empty_token_file_is_an_error(tmp_path: Path) -> None:
    path = token_file(tmp_path, " \n\n")
    with pytest.raises(ConfigError) as caught:
        load_token(path, env_with_token())
    assert caught.value.message == f"token file {path} is empty"


@pytest.mark.parametrize(
    ("make_path", "reason"),
    [
        (lambda tmp: tmp / "missing", "no such file"),
        (lambda tmp: tmp, "it is a directory"),
    ],
)
def test_an_unreadable_token_file_is_a_one_line_error(tmp_path: Path, make_path: object, reason: str) -> None:
    path = make_path(tmp_path)  # type: ignore[operator]
    with pytest.raises(ConfigError) as caught:
        load_token(str(path), {})
    assert caught.value.message == f"cannot read token file {path}: {reason}"
    assert "\n" not in caught.value.one_line()


def test_a_token_file_without_permission_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = token_file(tmp_path, TOKEN)

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(ConfigError) as caught:
        load_token(path, {})
    assert caught.value.message == f"cannot read token file {path}: permission denied"


def test_a_binary_token_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_bytes(TOKEN.encode() + b"\xff\xfe")
    with pytest.raises(ConfigError) as caught:
        load_token(str(path), {})
    assert "not UTF-8" in caught.value.message
    assert caught.value.__context__ is None  # the UnicodeDecodeError holds the file's bytes
    assert_token_hidden(caught.value)


@pytest.mark.parametrize(
    ("before", "after", "problem"),
    [
        ("Bearer ", "", "starts with 'Bearer '"),
        ("", "\nsecond line", "line breaks"),
        ("", " more", "spaces"),
        ("", "é", "HTTP header"),
    ],
    ids=["bearer", "two-lines", "space", "non-ascii"],
)
def test_a_token_that_cannot_be_sent_is_refused_without_showing_it(
    tmp_path: Path, before: str, after: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_token(token_file(tmp_path, before + TOKEN + after), {})
    assert problem in caught.value.message
    assert_token_hidden(caught.value)


def test_a_bad_token_in_the_environment_does_not_leak_through_tracebacks() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(None, None, None, None, env_with_token(CARGO_API_TOKEN=f"Bearer {TOKEN}"))
    assert "CARGO_API_TOKEN" in caught.value.message
    assert_token_hidden(caught.value)


# --- check_api_url -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://api.getcargo.io/v1/", "https://api.getcargo.io/v1"),
        (" https://api.getcargo.io/v1 ", "https://api.getcargo.io/v1"),
        ("HTTPS://api.getcargo.io/v1", "https://api.getcargo.io/v1"),
        ("http://localhost:8080/v1/", "http://localhost:8080/v1"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("http://127.8.9.10", "http://127.8.9.10"),
        ("http://[::1]:8080/v1", "http://[::1]:8080/v1"),
    ],
)
def test_api_urls_that_are_accepted(url: str, normalised: str) -> None:
    assert check_api_url(url) == normalised


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://api.getcargo.io/v1", "refusing to send the token over plain http to api.getcargo.io"),
        ("http://192.168.1.10:8080", "refusing to send the token over plain http to 192.168.1.10"),
        ("http://localhost.example.com", "refusing to send the token over plain http"),
        ("http://[::2]", "refusing to send the token over plain http"),
        ("ftp://api.getcargo.io", "must start with https://"),
        ("api.getcargo.io/v1", "must start with https://"),
        ("https://", "must start with https://"),
        ("https://user:pass@api.getcargo.io/v1", "user name or password"),
        ("https://api.getcargo.io/v1?token=x", "query"),
        ("https://api.getcargo.io:99999/v1", "not valid"),
        ("https://api.getcargo.io/v 1", "spaces"),
    ],
)
def test_api_urls_that_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_api_url(url)
    assert message in caught.value.message


# --- parse_run_ref -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "run"),
    [
        (UUID, UUID),
        (f"  {UUID}\n", UUID),
        ("run-failed-0001", "run-failed-0001"),
        (f"https://app.getcargo.io/workspaces/{UUID[:-3]}aaa/workflows/wf-1/runs/{UUID}?tab=nodes", UUID),
        (f"https://app.getcargo.io/workspaces/w/workflows/f/runs/{UUID}/", UUID),
        ("https://app.getcargo.io/workspaces/w/runs/run-failed-0001#node", "run-failed-0001"),
        (f"https://app.getcargo.io/#/workspaces/w/runs/{UUID}", UUID),
        (f"https://app.getcargo.io/workspaces/{UUID[:-3]}aaa/traces/{UUID}", UUID),
        (f"https://app.getcargo.io/workflows/w?runUuid={UUID}", UUID),
        (f"the run {UUID} failed", UUID),
    ],
)
def test_run_refs_that_name_a_run(text: str, run: str) -> None:
    assert parse_run_ref(text) == run


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "not a run",
        "https://app.getcargo.io/workspaces/w/workflows/f",
        "https://x/runs/",
        "a" * 500,
    ],
)
def test_run_refs_without_a_run_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_run_ref(text)


# --- settings_from -------------------------------------------------------------------------


def test_defaults() -> None:
    settings = settings_from(None, None, None, None, {})
    assert settings == Settings(api_url=DEFAULT_API_URL, workspace=None, token=None, interval=2.0)


def test_environment_beats_defaults() -> None:
    environ = env_with_token(CARGO_API_URL="http://localhost:9/v1/", CARGO_WORKSPACE_UUID="ws-env")
    settings = settings_from(None, None, None, None, environ)
    assert settings.api_url == "http://localhost:9/v1"
    assert settings.workspace == "ws-env"
    assert settings.token == Secret(TOKEN)


def test_flags_beat_the_environment(tmp_path: Path) -> None:
    environ = env_with_token(CARGO_API_URL="https://env.example/v1", CARGO_WORKSPACE_UUID="ws-env")
    settings = settings_from(
        "https://flag.example/v1", "ws-flag", token_file(tmp_path, "from-file", 0o644), 5.0, environ
    )
    assert settings.api_url == "https://flag.example/v1"
    assert settings.workspace == "ws-flag"
    assert settings.token == Secret("from-file")
    assert settings.interval == 5.0
    assert settings.warnings and "chmod 600" in settings.warnings[0]


def test_blank_environment_values_fall_back_to_defaults() -> None:
    settings = settings_from(None, None, None, None, {"CARGO_API_URL": "", "CARGO_WORKSPACE_UUID": " "})
    assert settings.api_url == DEFAULT_API_URL
    assert settings.workspace is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("http://api.example.com", None, None, None), "plain http"),
        ((None, "ws\r\nX-Evil: 1", None, None), "workspace"),
        ((None, None, None, 0.0), "--interval"),
        ((None, None, None, float("nan")), "--interval"),
    ],
)
def test_bad_settings_are_config_errors(
    args: tuple[str | None, str | None, str | None, float | None], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(*args, {})
    assert message in caught.value.message
