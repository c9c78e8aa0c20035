"""Issue 15 at start-up: what is said before anything is fetched or drawn (a run id that is not
a uuid), and what a file that cannot be read is called."""

from __future__ import annotations

import io
from typing import Any

import pytest

from run_inspector import cli
from run_inspector.config import parse_run_ref
from run_inspector.errors import UsageError

UUID = "3f1c2a9b-0c4d-4e5f-8a6b-7c8d9e0f1a2b"
TOKEN = "sentinel-token-startup"


def invoke(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), environ=env or {}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def no_client(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fails the test if a client (and so a connection) is made."""
    from run_inspector import client

    made: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        made.append(args)
        raise AssertionError("a client was made")

    monkeypatch.setattr(client.CargoClient, "__init__", refuse)
    return made


# -- item 14: RUN is checked as a run id before the token and before the network -----------------


@pytest.mark.parametrize(
    ("run", "said"),
    [
        ("123", "RUN '123' is not a run uuid"),
        ("run-123", "RUN 'run-123' is not a run uuid"),
        ("latest", "RUN 'latest' is not a run uuid"),
        ("3f1c2a9b-0c4d", "RUN '3f1c2a9b-0c4d' is not a run uuid"),  # cut off
        (UUID[:-1], f"RUN '{UUID[:-1]}' is not a run uuid"),  # one digit short
        ("https://app.getcargo.io/workspaces/w/runs/123", "no run uuid found in the RUN argument"),
    ],
)
@pytest.mark.parametrize("token", [False, True])
def test_a_run_that_is_not_a_uuid_is_a_usage_error_before_the_token_and_the_network(
    no_client: list[Any], run: str, said: str, token: bool
) -> None:
    env = {"CARGO_API_TOKEN": TOKEN} if token else {}
    code, out, err = invoke(run, "--print", env=env)
    assert (code, out) == (2, "")
    assert err == (
        f"run-inspector: {said} (Cargo run ids are uuids like {UUID}: pass one, or the run's URL "
        "from the Cargo app)\n"
    )
    assert no_client == []


@pytest.mark.parametrize(
    "run",
    [
        UUID,
        UUID.upper(),
        f"https://app.getcargo.io/workspaces/w/workflows/f/runs/{UUID}?tab=nodes",
        f"https://app.getcargo.io/workspaces/w/runs/not-a-uuid?run={UUID}",
    ],
)
def test_a_run_uuid_or_a_url_holding_one_goes_on_to_the_token(run: str) -> None:
    code, _, err = invoke(run, "--print")
    assert code == 2 and err.startswith("run-inspector: no API token")


def test_a_long_id_is_cut_in_the_message(no_client: list[Any]) -> None:
    code, _, err = invoke("a" * 150, "--json")
    assert code == 2 and f"RUN '{'a' * 59}…' is not a run uuid" in err


def test_a_loopback_api_may_name_its_runs_as_it_likes() -> None:
    """A local simulator or test server (the suite's fixtures are `run-failed-0001`)."""
    assert parse_run_ref("run-failed-0001", uuid_only=False) == "run-failed-0001"
    code, _, err = invoke("run-failed-0001", "--print", "--api-url", "http://127.0.0.1:9/v1")
    assert code == 2 and err.startswith("run-inspector: no API token")


def test_a_plain_http_api_url_is_refused_before_the_run_is_looked_at() -> None:
    code, _, err = invoke("123", "--print", "--api-url", "http://example.com/v1")
    assert code == 2 and "refusing to send the token over plain http" in err


@pytest.mark.parametrize(
    ("text", "run"),
    [
        (UUID, UUID),
        (f" {UUID}\n", UUID),
        (f"https://app.getcargo.io/#/workspaces/w/runs/{UUID}", UUID),
        (f"the run {UUID} failed", UUID),
        (f"https://app.getcargo.io/workspaces/w/runs/run-x/{UUID}", UUID),
    ],
)
def test_uuid_only_takes_uuids(text: str, run: str) -> None:
    assert parse_run_ref(text, uuid_only=True) == run


@pytest.mark.parametrize("text", ["123", "run-failed-0001", "", "https://app.getcargo.io/runs/abc", "a" * 500])
def test_uuid_only_refuses_the_rest(text: str) -> None:
    with pytest.raises(UsageError):
        parse_run_ref(text, uuid_only=True)


# -- item 15: a file that is not a run is the file's fault, said with its path -------------------

SAVED = "--file reads a run saved from GET /v1/orchestration/runs/{uuid}, or a bundle saved in the app with s"
CUT = b'{"run": {"uuid": "run-1", "status": "error", "nodes": ['


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"<!doctype html><html><body>Sign in</body></html>", "{path} is not JSON (it looks like an HTML page) ({saved})"),
        (
            CUT,
            f"{{path}} is not JSON: it stops after {len(CUT)} bytes, before the JSON is complete "
            "(the file is cut short: save or download it again)",
        ),
        (b"", "{path} is empty ({saved})"),
        (b"hello", "{path} is not JSON (it starts with 'hello') ({saved})"),
        (b"[1, 2]", "{path} is JSON but not a saved run (it is a list, not an object) ({saved})"),
        (b'"text"', "{path} is JSON but not a saved run (it is a string, not an object) ({saved})"),
        (b'{"nope": 1}', "{path} is JSON but not a saved run (it has no 'run' object) ({saved})"),
        (b'{"run": null}', "{path} is JSON but not a saved run (it has no 'run' object) ({saved})"),
    ],
)
@pytest.mark.parametrize("mode", ["--print", "--json", "--watch"])
def test_a_file_that_is_not_a_run_is_said_to_be_the_file_s_fault(
    tmp_path: Any, content: bytes, said: str, mode: str
) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    code, out, err = invoke("--file", str(path), mode)
    assert (code, out) == (3, "")
    assert err == f"run-inspector: {said.format(path=path, saved=SAVED)}\n"
    assert "--api-url" not in err and "proxy" not in err and "connection" not in err


def test_standard_input_that_is_not_a_run_is_called_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"<html>502</html>")))
    code, _, err = invoke("--file", "-", "--print")
    assert code == 3
    assert err == f"run-inspector: standard input is not JSON (it looks like an HTML page) ({SAVED})\n"


def test_the_file_s_error_carries_its_path_and_an_api_s_keeps_the_api_wording() -> None:
    from run_inspector.errors import FileReadError, UnreadableBodyError
    from run_inspector.models import parse_run_response
    from run_inspector.source import ApiSource, FileSource

    with pytest.raises(UnreadableBodyError) as caught:
        parse_run_response(b"<html>hi</html>")
    api_error = caught.value
    assert "check --api-url" in api_error.one_line() and "perhaps from a proxy" in api_error.one_line()

    source = FileSource(b"<html>hi</html>", "saved/run.json")
    said = source.error_for(api_error)
    assert isinstance(said, FileReadError) and said.path == "saved/run.json" and said.exit_code == 3
    assert said.message == "saved/run.json is not JSON (it looks like an HTML page)"
    child = source.error_for(api_error, "run-child-1")
    assert isinstance(child, FileReadError)
    assert child.message == "run run-child-1 in saved/run.json is not JSON (it looks like an HTML page)"

    api = ApiSource(None, UUID, "https://api.getcargo.io/v1")  # type: ignore[arg-type]
    assert api.error_for(api_error) is api_error
    other = UsageError("not a body fault")
    assert source.error_for(other) is other  # type: ignore[arg-type]
