"""`run-inspector --workflow`: the list (`--print`, `--json`, the Runs screen), `--latest` in
every mode, and `--with-agents`, against the simulated Cargo API on a loopback server."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from run_inspector import cli
from run_inspector.cargo_sim import CargoSim
from run_inspector.demo import DEMO_WORKFLOW_UUID
from run_inspector.models import Run
from run_inspector.render_json import SCHEMA as SUMMARY
from run_inspector.render_json import json_time
from run_inspector.render_runs import SCHEMA, print_runs
from run_inspector.runlist import RunPage, build_query
from run_inspector.source import RunSource

from .cargo_server import cargo_server
from .cargo_worlds import NOW, agent_world, busy_workflow_world, workflow_runs_world
from .test_cli import invoke

TOKEN = "sentinel-token-7f3e9a"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ENV = {"CARGO_API_TOKEN": TOKEN}


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--since` counts back from the worlds' `NOW` (and the demo is dated from it)."""
    monkeypatch.setattr(cli, "_now", lambda: NOW)


@pytest.fixture
def server() -> Iterator[tuple[str, CargoSim, Any]]:
    scenario = workflow_runs_world()
    with cargo_server(scenario.world) as (base, sim):
        yield base, sim, scenario


def runs(base: str, *argv: str) -> tuple[int, str, str]:
    code, out, err = invoke(*argv, "--api-url", base, env=ENV)
    assert TOKEN not in out + err
    return code, out, err


def newest(scenario: Any, status: str) -> dict[str, Any]:
    bodies = [b["run"] for b in scenario.world.bodies(0) if b["run"]["status"] == status]
    return max(bodies, key=lambda run: datetime.fromisoformat(run["createdAt"]))


def strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")

    assert text.isascii()
    return json.loads(text, parse_constant=refuse)


# -- the list -------------------------------------------------------------------------------------


def test_print_lists_the_runs_newest_first_as_plain_text_when_piped(server: Any) -> None:
    base, sim, scenario = server
    workflow = scenario.ids["workflow"]
    code, out, err = runs(base, "--workflow", workflow, "--limit", "5", "--print")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"Runs of workflow {workflow}, newest first"
    assert lines[1] == "5 of 25 runs · 2 running · 2 pending"
    assert lines[3].split() == ["STATUS", "CREATED", "TOOK", "RUN", "RECORD", "ERROR"]
    uuids = [UUID.search(line).group() for line in lines[4:]]  # type: ignore[union-attr]
    assert uuids == scenario.children[:5]  # the world's runs, newest first
    assert "\x1b" not in out
    [request] = sim.requests_to("runs.list")
    assert request.json == {"workflowUuid": workflow, "limit": 100, "offset": 0}


def test_print_in_colour_on_a_terminal() -> None:
    page = RunPage(build_query("w"), [], 0, 0)
    out = io.StringIO()
    print_runs(page, out, color=True)
    assert "\x1b[1m" in out.getvalue() and "No runs of workflow w." in out.getvalue()


def test_json_is_the_runs_schema_with_the_apis_count(server: Any) -> None:
    base, _, scenario = server
    workflow = scenario.ids["workflow"]
    code, out, err = runs(base, "--workflow", workflow, "--status", "error", "--limit", "2", "--json")
    data = strict(out)
    assert (code, err) == (0, "")
    assert data["schema"] == SCHEMA == "run-inspector/runs@1"
    assert (data["count"], data["fetched"], data["capped"]) == (6, 6, False)
    assert data["query"] == {"workflowUuid": workflow, "statuses": ["error"]}
    first = newest(scenario, "error")
    listed = Run.model_validate(first)
    assert data["runs"][0] == {
        "uuid": first["uuid"],
        "status": "error",
        "recordTitle": first["recordTitle"],
        "createdAt": json_time(listed.created_at),
        "finishedAt": json_time(listed.finished_at),
        "errorMessage": first["errorMessage"],
        "credits": None,
        "parentUuid": None,
    }
    assert len(data["runs"]) == 2


def test_a_busy_workflow_is_read_page_by_page_and_credits_show_when_sent() -> None:
    scenario = busy_workflow_world(250)
    with cargo_server(scenario.world) as (base, sim):
        code, out, _ = runs(base, "--workflow", scenario.ids["workflow"], "--limit", "4", "--json")
        printed = runs(base, "--workflow", scenario.ids["workflow"], "--limit", "4", "--print")[1]
    data = strict(out)
    assert code == 0 and data["count"] == 250 and data["fetched"] == 250
    assert [r["uuid"] for r in data["runs"]] == scenario.children[:4]
    assert len(sim.requests_to("runs.list")) == 2 * 3
    credits = [r["credits"] for r in data["runs"]]
    assert any(c is None for c in credits) and any(isinstance(c, float) for c in credits)
    assert "CREDITS" in printed.splitlines()[3] and " cr " in printed


@pytest.mark.parametrize(
    ("argv", "sent"),
    [
        (["--status", "error,cancelled"], {"statuses": ["error", "cancelled"]}),
        (["--status", "error", "--status", "running"], {"statuses": ["error", "running"]}),
        (["--record", "Stark"], {"recordTitleOrId": "Stark"}),
        (
            ["--failed-at", "enrich_company:429"],
            {"executionsFilter": {"conjonction": "and", "groups": [{"conjonction": "and", "conditions": [
                {"kind": "node", "nodeSlug": "enrich_company", "status": "error", "value": "429"}]}]}},
        ),
        (["--since", "24h"], {"createdAfter": "2026-11-23T15:00:00.000Z"}),
        (["--since", "2026-11-20"], {"createdAfter": "2026-11-20T00:00:00.000Z"}),
    ],
)  # fmt: skip
def test_each_flag_is_sent_in_the_list_request(server: Any, argv: list[str], sent: dict[str, Any]) -> None:
    base, sim, scenario = server
    code, _, err = runs(base, "--workflow", scenario.ids["workflow"], *argv, "--json")
    assert (code, err) == (0, "")
    [request] = sim.requests_to("runs.list")
    assert request.json == {"workflowUuid": scenario.ids["workflow"], **sent, "limit": 100, "offset": 0}


def test_a_workflow_url_from_the_app_is_read_for_its_uuid(server: Any) -> None:
    base, sim, scenario = server
    url = f"https://app.getcargo.io/workspaces/ws/orchestration/workflows/{scenario.ids['workflow']}/runs"
    assert runs(base, "--workflow", url, "--json")[0] == 0
    assert sim.requests_to("runs.list")[0].json["workflowUuid"] == scenario.ids["workflow"]


def test_an_empty_result_says_what_was_searched(server: Any) -> None:
    base, _, scenario = server
    workflow = scenario.ids["workflow"]
    argv = ("--workflow", workflow, "--status", "skipped", "--since", "2026-11-20")
    code, out, err = runs(base, *argv, "--print")
    assert (code, err) == (0, "")
    assert out == f"No runs of workflow {workflow} with status skipped since 2026-11-20.\n"
    code, out, _ = runs(base, *argv, "--json")
    data = strict(out)
    assert code == 0 and (data["count"], data["runs"]) == (0, [])
    assert data["query"]["createdAfter"] == "2026-11-20T00:00:00.000Z"


def test_api_text_in_the_list_is_made_safe_and_kept_exact_in_json() -> None:
    scenario = workflow_runs_world()
    hostile_title = "Evil\x1b]0;PWNED\x07 [bold]Corp[/bold] \u202eevil"
    hostile_error = "boom\x1b[2J\nsecond [@click=app.quit]x[/]"
    for body in scenario.world.runs.values():
        assert isinstance(body, dict)
        body["run"].update(recordTitle=hostile_title, errorMessage=hostile_error)
    with cargo_server(scenario.world) as (base, _):
        _, printed, _ = runs(base, "--workflow", scenario.ids["workflow"], "--limit", "1", "--print")
        _, out, _ = runs(base, "--workflow", scenario.ids["workflow"], "--limit", "1", "--json")
    assert "\x1b" not in printed and "\x07" not in printed and "\u202e" not in printed
    assert "Evil [bold]Corp[/bold] \ufffdevil" in printed
    assert "boom ⏎ second [@click=app.quit]x[/]" in printed
    data = strict(out)
    assert (data["runs"][0]["recordTitle"], data["runs"][0]["errorMessage"]) == (hostile_title, hostile_error)


# -- --latest: the newest matching run, in every mode -------------------------------------------


def test_latest_print_shows_the_last_failure(server: Any) -> None:
    base, sim, scenario = server
    failure = newest(scenario, "error")
    code, out, err = runs(
        base, "--workflow", scenario.ids["workflow"], "--status", "error", "--latest", "--print"
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == failure["recordTitle"] and failure["uuid"] in out.splitlines()[1]
    assert "Findings (" in out
    assert [r.endpoint for r in sim.requests][:2] == ["runs.list", "runs.get"]
    assert sim.requests_to("runs.get")[0].path.endswith(failure["uuid"])


def test_latest_json_and_exit_status_are_the_runs(server: Any) -> None:
    base, _, scenario = server
    failure = newest(scenario, "error")
    argv = (
        "--workflow",
        scenario.ids["workflow"],
        "--status",
        "error",
        "--latest",
        "--json",
        "--exit-status",
    )
    code, out, _ = runs(base, *argv)
    data = strict(out)
    assert code == 1 and data["schema"] == SUMMARY and data["run"]["uuid"] == failure["uuid"]


def test_latest_watch_follows_the_newest_run_to_its_end(server: Any) -> None:
    base, _, scenario = server
    success = newest(scenario, "success")
    code, out, err = runs(
        base,
        "--workflow",
        scenario.ids["workflow"],
        "--status",
        "success",
        "--latest",
        "--watch",
        "--interval",
        "0.05",
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[-1].startswith(
        f"✔ run {success['uuid']} ({success['recordTitle']}) ended success"
    )


def test_latest_without_a_mode_opens_the_run_in_the_tui(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    base, _, scenario = server
    opened: list[tuple[str, bool, float]] = []

    def tui(args: Any, source: RunSource, interval: float) -> int:
        opened.append((source.root_uuid, source.live, interval))
        return 0

    monkeypatch.setattr(cli, "_tui", tui)
    code, _, err = runs(
        base, "--workflow", scenario.ids["workflow"], "--status", "running", "--latest", "--interval", "3"
    )
    assert (code, err) == (0, "")
    assert opened == [(newest(scenario, "running")["uuid"], True, 3.0)]


def test_latest_with_nothing_found_exits_3_saying_what_was_searched(server: Any) -> None:
    base, sim, scenario = server
    workflow = scenario.ids["workflow"]
    code, out, err = runs(
        base, "--workflow", workflow, "--status", "skipped", "--since", "7d", "--latest", "--print"
    )
    assert code == 3 and out == ""
    assert err == (
        f"run-inspector: no runs of workflow {workflow} with status skipped in the last 7d "
        "(since 2026-11-17 15:00 UTC) (widen the search: another --status, an older --since, no --record)\n"
    )
    assert sim.requests_to("runs.get") == []


# -- the Runs screen ----------------------------------------------------------------------------


def test_no_mode_opens_the_runs_screen_with_the_query(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from run_inspector.ui import app as ui_app

    base, _, scenario = server
    made: list[tuple[RunSource, Any, float]] = []

    class FakeApp:
        return_code = 0

        def run(self) -> None:
            pass

    def make_runs_app(source: RunSource, query: Any, *, interval: float) -> FakeApp:
        made.append((source, query, interval))
        return FakeApp()

    monkeypatch.setattr(ui_app, "make_runs_app", make_runs_app, raising=False)
    monkeypatch.setattr(cli, "_terminal_for_tui", lambda **_: None)  # the tests have no terminal
    code, _, err = runs(base, "--workflow", scenario.ids["workflow"], "--status", "error", "--interval", "5")
    assert (code, err) == (0, "")
    [(source, query, interval)] = made
    assert (query.workflow_uuid, query.statuses, interval, source.live) == (
        scenario.ids["workflow"],
        ("error",),
        5.0,
        True,
    )


# -- the demo -----------------------------------------------------------------------------------


def test_the_demo_lists_its_workflow_and_opens_its_latest_failure() -> None:
    code, out, err = invoke("--demo", "--workflow", "--status", "error", "--since", "2d", "--print")
    assert (code, err) == (0, "")
    assert out.startswith(f"Runs of workflow {DEMO_WORKFLOW_UUID} with status error in the last 2d")
    code, out, err = invoke(
        "--demo", "--workflow", DEMO_WORKFLOW_UUID, "--status", "error", "--latest", "--json"
    )
    data = strict(out)
    assert (code, err) == (0, "") and data["run"]["status"] == "error"
    assert data["run"]["workflowUuid"] == DEMO_WORKFLOW_UUID
    code, out, _ = invoke(
        "--demo", "--workflow", "--record", "Acme Corp", "--latest", "--json", "--with-agents"
    )
    agent = next(n for n in strict(out)["nodes"] if n["slug"] == "qualify")["agent"]
    assert code == 0 and agent["model"] == "gpt-4.1" and agent["startedRuns"] and agent["answer"]


# -- --with-agents ------------------------------------------------------------------------------


def test_json_with_agents_adds_each_agent_nodes_message() -> None:
    scenario = agent_world()
    with cargo_server(scenario.world) as (base, sim):
        code, out, err = runs(base, scenario.run, "--json", "--with-agents")
        plain = strict(runs(base, scenario.run, "--json")[1])
        asked = len(sim.requests_to("messages.get"))
    data = strict(out)
    assert (code, err, asked) == (0, "", 1)  # the plain --json asked for no message
    with_agent = [n["slug"] for n in data["nodes"] if "agent" in n]
    assert with_agent == ["research_account"] and not any("agent" in n for n in plain["nodes"])
    agent = data["nodes"][[n["slug"] for n in data["nodes"]].index("research_account")]["agent"]
    assert (agent["messageUuid"], agent["model"], agent["note"]) == (scenario.ids["message"], "gpt-4.1", None)
    assert agent["usage"] == {
        "inputTokens": 8120,
        "outputTokens": 640,
        "reasoningTokens": 860,
        "cacheReadTokens": 2048,
        "credits": 7.0,
    }
    assert agent["answer"] == "Acme Corp: 240 employees on Salesforce, Segment and Snowflake."
    assert agent["startedRuns"] == [scenario.ids["tool_run"]]
    kinds = [part["type"] for step in agent["steps"] for part in step["parts"]]
    assert kinds == ["reasoning", "tool", "tool", "tool", "tool", "file", "source-url", "unknown", "text"]
    enrich = agent["steps"][0]["parts"][1]
    assert (enrich["outcome"], enrich["runUuid"], enrich["credits"]) == (
        "executed",
        scenario.ids["tool_run"],
        1.0,
    )
    assert {k: v for k, v in data.items() if k != "nodes"} == {k: v for k, v in plain.items() if k != "nodes"}


@pytest.mark.parametrize("status", [403, 404])
def test_json_with_agents_keeps_the_run_when_messages_are_refused(status: int) -> None:
    scenario = agent_world()
    with cargo_server(scenario.world) as (base, sim):
        sim.fail("messages.get", status)
        code, out, err = runs(base, scenario.run, "--json", "--with-agents")
    agent = next(n for n in strict(out)["nodes"] if n["slug"] == "research_account")["agent"]
    assert (code, err) == (0, "") and agent["steps"] == [] and f"({status})" in agent["note"]


def test_json_with_agents_of_a_message_with_non_finite_numbers_stays_strict() -> None:
    scenario = agent_world()
    message = scenario.world.messages[scenario.ids["message"]]
    assert isinstance(message, dict)
    message["parts"][2]["input"] = {"score": 1e400}  # Infinity once it is JSON
    with cargo_server(scenario.world) as (base, _):
        code, out, _ = runs(base, scenario.run, "--json", "--with-agents")
    data = strict(out)
    assert code == 0 and any(a["kind"] == "non-finite-number" for a in data["anomalies"])


# -- faults and usage errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (403, "the token may not read the list of runs (403): Forbidden: this token lacks the orchestration:read scope "
              "(the token needs the orchestration:read permission (and the right --workspace))"),
        (404, "the list of runs was not found (404): Route not found (this API has no runs/list endpoint: check "
              "--api-url (https://api.getcargo.io/v1))"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("mode", ["--print", "--json", "--latest"])
def test_a_forbidden_or_missing_list_is_one_line_and_exit_3(
    server: Any, status: int, words: str, mode: str
) -> None:
    base, sim, scenario = server
    sim.fail("runs.list", status)
    code, out, err = runs(
        base, "--workflow", scenario.ids["workflow"], mode, *(["--json"] if mode == "--latest" else [])
    )
    assert (code, out, err) == (3, "", f"run-inspector: {words}\n")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--workflow", "w", "--status", "eror", "--print"], "unknown run status 'eror'"),
        (["--workflow", "w", "--since", "soon", "--print"], "is neither a duration nor an ISO date"),
        (["--workflow", "w", "--since", "2027-01-01", "--print"], "is in the future"),
        (["--workflow", "w", "--failed-at", ":429", "--print"], "--failed-at needs a node slug"),
        (["--workflow", "w", "--limit", "0", "--print"], "--limit must be between 1 and 2,000"),
        (["--workflow", "w", "--limit", "many", "--print"], "invalid int value"),
        (["--workflow", "--print"], "--workflow needs a workflow uuid"),
        (["--workflow", "w", "--watch"], "--watch follows one run"),
        (["--workflow", "w", "--print", "--exit-status"], "--exit-status is about one run"),
        (["--workflow", "w", "--json", "--with-agents"], "--with-agents is about one run"),
        (["--workflow", "w", "run-1", "--print"], "not with RUN or --file"),
        (["--workflow", "w", "--file", "x.json", "--print"], "not with RUN or --file"),
        (["--status", "error", "--demo", "--print"], "--status works with --workflow UUID"),
        (["--latest", "--since", "7d", "--demo"], "--since, --latest work with --workflow UUID"),
        (["--demo", "--print", "--with-agents"], "--with-agents works with --json"),
        (["--workflow", "w", "--print"], "no API token"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], words: str) -> None:
    code, out, err = invoke(*argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and words in err, err


def test_help_lists_the_new_flags() -> None:
    text = cli.build_parser().format_help()
    for flag in (
        "--workflow",
        "--status",
        "--record",
        "--failed-at",
        "--since",
        "--limit",
        "--latest",
        "--with-agents",
    ):
        assert flag in text
    assert "run-inspector --workflow W --status error --latest --print" in text
