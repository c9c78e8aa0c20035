"""The command line: modes, exit codes, and one clear line on stderr for every failure."""

from __future__ import annotations

import gc
import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from run_inspector import cli
from run_inspector.findings import compute_findings
from run_inspector.graph import RunGraph
from run_inspector.models import parse_run_response
from run_inspector.render_json import SCHEMA
from run_inspector.render_text import print_run

from .helpers import FIXTURES, execution, node, run_of

FAILED = str(FIXTURES / "failed_run.json")
RUN_UUID = "3f1c2a9b-0c4d-4e5f-8a6b-7c8d9e0f1a2b"  # Cargo run ids are uuids (the API is not on loopback here)


def invoke(*argv: str, env: dict[str, str] | None = None, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        code = cli.main(list(argv), environ=env or {}, out=out, err=err)
    finally:
        sys.stdin = sys.__stdin__
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def success_file(tmp_path: Path) -> str:
    path = tmp_path / "ok.json"
    nodes = [node("start", "start", ["end"]), node("end", "end")]
    path.write_text(json.dumps(run_of(nodes, [execution("start"), execution("end")])))
    return str(path)


def test_print_shows_every_node_label_error_and_fallback() -> None:
    code, out, err = invoke("--file", FAILED, "--print")
    assert (code, err) == (0, "")
    for text in (
        "Acme Corp",
        "error · failed",
        "Enrich company",
        "[on failure (run goes on)]",
        "[yes]",
        "[no]",
        "(not taken)",
        "For each contact",
        "for each item: sub-graph of 3 nodes",
        "Find e-mail",
        "Sync to HubSpot",
        'HubSpot 400: Property "lifecyclestage" [/] has an invalid value [bold]lead[/bold]',
        "Clearbit timed out after 3000 ms",
        "Mark as skipped",
        "not reached",
    ):
        assert text in out, text
    assert "\x1b" not in out  # piped: no escape codes


def test_json_is_valid_and_follows_the_schema() -> None:
    code, out, _ = invoke("--file", FAILED, "--json")
    data = json.loads(out)
    assert code == 0 and data["schema"] == SCHEMA
    assert set(data) == {
        "schema",
        "run",
        "nodes",
        "failedNodes",
        "firstFailedNode",
        "anomalies",
        "findings",
        "failedItems",
        "moreFailedItems",
        "unavailable",
    }
    assert (data["failedItems"], data["moreFailedItems"], data["unavailable"]) == ([], 0, {})
    assert data["run"]["status"] == "error" and data["run"]["verdict"] == "failed"
    assert data["failedNodes"] == ["n-enrich", "n-sync"] and data["firstFailedNode"] == "n-sync"
    branch = next(n for n in data["nodes"] if n["slug"] == "is_qualified")
    assert [(c["label"], c["taken"]) for c in branch["children"]] == [("yes", True), ("no", False)]
    enrich = next(n for n in data["nodes"] if n["slug"] == "enrich_company")
    assert enrich["children"][-1] == {
        "uuid": "n-notify",
        "label": "on failure",
        "kind": "fallback",
        "index": None,
        "taken": True,
        "continues": True,
    }
    assert {n["uuid"] for n in data["nodes"]} >= {"n-start", "n-end", "s-find"}


def test_exit_status_is_1_for_an_error_run_and_0_for_success(success_file: str) -> None:
    assert invoke("--file", FAILED, "--print", "--exit-status")[0] == 1
    assert invoke("--file", FAILED, "--json", "--exit-status")[0] == 1
    assert invoke("--file", success_file, "--print", "--exit-status")[0] == 0
    assert invoke("--file", FAILED, "--print")[0] == 0  # without --exit-status a failed run is not an error


@pytest.mark.parametrize(
    "argv",
    [
        (),
        ("--demo", "--file", "x.json"),
        ("--print", "--json", "--demo"),
        ("--demo", "--exit-status"),
        ("--demo", "--interval", "0", "--print"),
        ("--demo", "--interval", "soon"),
        ("--no-such-flag",),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: tuple[str, ...]) -> None:
    code, out, err = invoke(*argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("run-inspector: ")


def test_missing_token_is_a_usage_error() -> None:
    code, _, err = invoke(RUN_UUID, "--print")
    assert code == 2 and "CARGO_API_TOKEN" in err


def test_plain_http_to_a_remote_host_is_refused() -> None:
    code, _, err = invoke(
        RUN_UUID, "--print", "--api-url", "http://example.com/v1", env={"CARGO_API_TOKEN": "t0k"}
    )
    assert code == 2 and "plain http" in err


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "empty"),
        ("<html>502</html>", "HTML"),
        ('{"run": {"uuid"', "not JSON"),
        ('{"nope": 1}', "no 'run'"),
    ],
)
def test_unreadable_responses_exit_3_with_one_line(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, err = invoke("--file", str(path), "--print")
    assert code == 3 and out == "" and words in err and err.count("\n") == 1


def test_missing_file_exits_2() -> None:
    code, _, err = invoke("--file", "/nonexistent/run.json", "--print")
    assert code == 2 and "cannot read" in err


def test_stdin_file() -> None:
    code, out, _ = invoke("--file", "-", "--json", stdin=Path(FAILED).read_text())
    assert code == 0 and json.loads(out)["run"]["uuid"] == "run-failed-0001"


def test_api_errors_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    from run_inspector import client as client_module

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"errorMessage": "Run not found", "reason": "notFound"})

    original = client_module.CargoClient.__init__

    def with_mock(self: object, *args: object, **kwargs: object) -> None:
        kwargs["transport"] = httpx.MockTransport(handler)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client_module.CargoClient, "__init__", with_mock)
    code, out, err = invoke(RUN_UUID, "--print", env={"CARGO_API_TOKEN": "sentinel-token-xyz"})
    assert code == 3 and out == "" and "not found" in err and "sentinel-token-xyz" not in err


def test_demo_one_shot_shows_the_finished_run() -> None:
    code, out, _ = invoke("--demo", "--json", "--exit-status")
    data = json.loads(out)
    assert code == 0 and data["run"]["status"] == "success" and data["run"]["verdict"] == "degraded"


def test_print_writes_the_runs_tree_and_findings_as_print_run_does() -> None:
    graph = RunGraph.build(parse_run_response(Path(FAILED).read_bytes()))
    expected = io.StringIO()
    print_run(graph, expected, findings=compute_findings(graph))
    code, out, _ = invoke("--file", FAILED, "--print")
    assert code == 0 and out == expected.getvalue() and "Findings (" in out


@pytest.mark.parametrize("mode", ["--print", "--json"])
def test_one_shot_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path, mode: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"run": {"uuid"')
    assert gc.isenabled()
    assert invoke("--file", FAILED, mode)[0] == 0
    assert gc.isenabled()
    assert invoke("--file", str(bad), mode)[0] == 3
    assert gc.isenabled()
    gc.disable()
    try:
        assert invoke("--file", FAILED, mode)[0] == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_console_script_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "run_inspector", "--file", FAILED, "--print", "--exit-status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "Sync to HubSpot" in result.stdout and result.stderr == ""


async def test_a_file_answers_for_its_run_by_its_real_uuid_too() -> None:
    from run_inspector.errors import NotFoundError
    from run_inspector.source import FileSource

    source = FileSource.open(FAILED)
    body = Path(FAILED).read_bytes()
    assert await source.fetch_bytes(source.root_uuid) == body
    assert await source.fetch_bytes("run-failed-0001") == body
    with pytest.raises(NotFoundError) as caught:
        await source.fetch_bytes("run-child-1")
    assert "this file holds one run" in caught.value.hint
