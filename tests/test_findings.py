"""Findings: each kind on a small run, and the "success but wrong" case in every view."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from run_inspector.expressions import MISSING, config_references, format_reference, references_in, resolve
from run_inspector.findings import Finding, Kind, compute_findings
from run_inspector.graph import FailureOutcome, RunGraph
from run_inspector.render_json import dumps, summary_dict
from run_inspector.render_text import print_run

from .helpers import execution, fixture_bytes, fixture_data, graph_of, node, run_of

CLOCK = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
"""Half an hour after the fixtures' runs started."""


def findings_of(data: dict[str, Any] | bytes, **options: Any) -> list[Finding]:
    return compute_findings(graph_of(data), now=CLOCK, **options)


def of_kind(findings: list[Finding], kind: Kind) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def printed(graph: RunGraph, findings: list[Finding]) -> str:
    out = io.StringIO()
    print_run(graph, out, color=False, findings=findings)
    return out.getvalue()


# -- the must-show case: success, but the branch read a path the agent never produced ------------


def test_wrong_path_branch_names_the_path_and_the_fix() -> None:
    findings = findings_of(fixture_bytes("findings_wrong_path.json"))
    first = findings[0]
    assert (first.kind, first.severity, first.node_uuid, first.node_slug) == (
        Kind.BRANCH_RESULT,
        "error",
        "n-branch",
        "is_qualified",
    )
    assert "took `no`" in first.message
    assert "`nodes.qualify.qualified`" in first.message
    assert first.fix == "agent output sits under `.answer`: use `nodes.qualify.answer.qualified`"
    assert first.detail is not None and '{"condition": null}' in first.detail  # the computed input


def test_wrong_path_run_lists_every_finding_most_severe_first() -> None:
    findings = findings_of(fixture_bytes("findings_wrong_path.json"))
    assert [(f.severity, f.kind, f.node_slug) for f in findings] == [
        ("error", "branch-result", "is_qualified"),
        ("warning", "missing-path", "end"),
        ("warning", "missing-path", "end"),
        ("warning", "empty-end-variables", "end"),
    ]


def test_wrong_path_finding_in_print() -> None:
    graph = graph_of(fixture_bytes("findings_wrong_path.json"))
    text = printed(graph, compute_findings(graph))
    section = text[text.index("Findings (4)") :]
    assert "✖ Qualified? · is_qualified: took `no` on a missing value" in section
    assert "`nodes.qualify.qualified`" in section
    assert "fix: agent output sits under `.answer`: use `nodes.qualify.answer.qualified`" in section


def test_wrong_path_finding_in_json() -> None:
    graph = graph_of(fixture_bytes("findings_wrong_path.json"))
    findings = compute_findings(graph)
    data = json.loads(dumps(graph, findings))
    branch = data["findings"][0]
    assert set(branch) == {"kind", "severity", "nodeUuid", "nodeSlug", "message", "detail", "fix"}
    assert branch["kind"] == "branch-result"
    assert branch["nodeSlug"] == "is_qualified"
    assert "nodes.qualify.qualified" in branch["message"]
    assert branch["fix"].endswith("use `nodes.qualify.answer.qualified`")
    # The CLI passes the dict form; both give the same JSON.
    assert summary_dict(graph, [f.to_dict() for f in findings]) == summary_dict(graph, findings)


def test_print_without_findings_has_no_section() -> None:
    graph = graph_of(fixture_bytes("findings_wrong_path.json"))
    out = io.StringIO()
    print_run(graph, out, color=False)
    assert "Findings" not in out.getvalue()
    assert "Findings: none" in printed(graph, [])


# -- one test per kind -------------------------------------------------------------------------


def test_missing_path_in_end_variables_also_inside_template_expression_objects() -> None:
    missing = of_kind(findings_of(fixture_bytes("findings_wrong_path.json")), Kind.MISSING_PATH)
    assert [(f.severity, f.fix) for f in missing] == [
        ("warning", "agent output sits under `.answer`: use `nodes.qualify.answer.qualified`"),
        ("warning", "agent output sits under `.answer`: use `nodes.qualify.answer.reason`"),
    ]
    # `reason` is a {"kind": "templateExpression", "expression": "{{…}}"} object.
    assert missing[1].detail is not None
    assert missing[1].detail.startswith("config.variables.reason.expression = {{nodes.qualify.reason}}")


def test_missing_path_suggests_a_close_key() -> None:
    [missing] = of_kind(findings_of(fixture_bytes("findings_template_literal.json")), Kind.MISSING_PATH)
    assert missing.node_slug == "notify_owner"
    assert (
        missing.fix == "there is no `first_name`; the closest key is `firstName`: use `nodes.start.firstName`"
    )


def test_missing_path_of_a_node_not_reached_is_info() -> None:
    # failed_run: End was never reached, but reads a key the agent's answer does not have.
    [missing] = of_kind(findings_of(fixture_bytes("failed_run.json")), Kind.MISSING_PATH)
    assert (missing.severity, missing.node_slug) == ("info", "end")
    assert "`nodes.qualify.answer.owner`" in missing.message and "not reached" in missing.message


def test_no_missing_path_when_the_upstream_node_did_not_run() -> None:
    data = fixture_data("failed_run.json")
    end = next(n for n in data["run"]["nodes"] if n["slug"] == "end")
    end["config"]["variables"] = {"skipped": "{{nodes.log_skip.reason}}", "sync": "{{nodes.sync_crm.id}}"}
    assert of_kind(findings_of(data), Kind.MISSING_PATH) == []


def test_unknown_slug_suggests_the_closest_slug() -> None:
    data = fixture_data("failed_run.json")
    sync = next(n for n in data["run"]["nodes"] if n["slug"] == "sync_crm")
    sync["config"]["email"] = "{{nodes.contact_loop.emails}}"
    [unknown] = of_kind(findings_of(data), Kind.UNKNOWN_SLUG)
    assert (unknown.severity, unknown.node_slug) == ("warning", "sync_crm")
    assert "no node has the slug `contact_loop`" in unknown.message
    assert unknown.fix == "did you mean `contacts_loop`: use `nodes.contacts_loop.emails`"


def test_empty_end_variables_in_a_successful_run() -> None:
    [empty] = of_kind(findings_of(fixture_bytes("findings_wrong_path.json")), Kind.EMPTY_END_VARIABLES)
    assert (empty.severity, empty.node_slug) == ("warning", "end")
    assert empty.message == "the run succeeded, but 2 end variables came out empty: qualified, reason"
    assert empty.detail == (
        "qualified = null: reads `nodes.qualify.qualified`, which does not exist\n"
        "reason = null: reads `nodes.qualify.reason`, which does not exist"
    )
    assert empty.fix == "agent output sits under `.answer`: use `nodes.qualify.answer.qualified`"


def test_empty_end_variables_only_when_the_run_succeeded() -> None:
    data = fixture_data("findings_wrong_path.json")
    data["run"]["status"] = "error"
    assert of_kind(findings_of(data), Kind.EMPTY_END_VARIABLES) == []


def test_branch_result_also_for_a_filter_that_stopped_on_a_missing_value() -> None:
    data = fixture_data("findings_filter_stopped.json")
    data["run"]["nodes"][1]["config"]["condition"] = "{{nodes.start.emial}}"
    branch = of_kind(findings_of(data), Kind.BRANCH_RESULT)
    assert [(f.severity, f.node_slug) for f in branch] == [("error", "has_email")]
    assert "took no route (it stopped the run)" in branch[0].message
    assert branch[0].fix == "there is no `emial`; the closest key is `email`: use `nodes.start.email`"


def test_failed_node_without_fallback_and_an_error_run_is_never_called_degraded() -> None:
    """The run ended in error: the failure its fallback handled is said as it was (the run went
    on), but never "degraded"; the failure that stopped it is the error."""
    failed = of_kind(findings_of(fixture_bytes("failed_run.json")), Kind.FAILED_NODE)
    assert [(f.severity, f.node_slug) for f in failed] == [
        ("error", "sync_crm"),
        ("warning", "enrich_company"),
    ]
    assert failed[0].message == "failed with no fallback: the run failed here"
    assert failed[0].detail is not None and failed[0].detail.startswith("HubSpot 400")
    assert failed[1].message == (
        "failed; the fallback Tell the owner on Slack took over (success) and the run went on; "
        "the run ended error"
    )
    assert "degraded" not in failed[1].message


def test_a_fallback_that_took_over_in_a_run_that_succeeded_is_degraded() -> None:
    data = fixture_data("failed_run.json")
    data["run"]["status"] = "success"
    data["run"]["errorMessage"] = None
    sync = next(e for e in data["run"]["executions"] if e["nodeSlug"] == "sync_crm")
    sync["status"], sync["errorMessage"] = "success", None
    graph = graph_of(data)
    [enrich] = of_kind(compute_findings(graph), Kind.FAILED_NODE)
    assert graph.summary.verdict == "degraded"
    assert enrich.message.endswith("took over (success) and the run went on: degraded")


def stopped_after(data: dict[str, Any], slug: str) -> dict[str, Any]:
    """The run as if it had stopped right after `slug` ran: no later node has executions."""
    run = data["run"]
    last = max(e["finishedAt"] for e in run["executions"] if e["nodeSlug"] == slug)
    run["executions"] = [e for e in run["executions"] if e["startedAt"] <= last]
    return data


def test_failed_node_whose_fallback_ran_and_the_run_stopped() -> None:
    data = stopped_after(fixture_data("failed_run.json"), "notify_owner")
    next(n for n in data["run"]["nodes"] if n["slug"] == "enrich_company")["fallbackOnFailure"] = False
    [enrich] = [f for f in of_kind(findings_of(data), Kind.FAILED_NODE) if f.node_slug == "enrich_company"]
    assert enrich.severity == "error"
    assert enrich.message == (
        "failed; the fallback Tell the owner on Slack ran (success), fallbackOnFailure is off, "
        "and the run stopped here"
    )
    assert enrich.fix == "turn on fallbackOnFailure if the run should go on after the fallback"


def test_failed_node_whose_fallback_did_not_run() -> None:
    data = stopped_after(fixture_data("failed_run.json"), "enrich_company")
    data["run"]["executions"] = [e for e in data["run"]["executions"] if e["nodeSlug"] != "notify_owner"]
    enrich = [f for f in of_kind(findings_of(data), Kind.FAILED_NODE) if f.node_slug == "enrich_company"]
    assert [(f.severity, f.message) for f in enrich] == [
        ("error", "failed and its fallback Tell the owner on Slack did not run: the run failed here")
    ]


def test_the_run_went_on_although_the_fallback_did_not_run_said_from_the_evidence() -> None:
    """The next node ran after the failure: the run went on, whatever the graph's fallback
    promised; how that is known is said (inferred from the times)."""
    data = fixture_data("failed_run.json")
    data["run"]["executions"] = [e for e in data["run"]["executions"] if e["nodeSlug"] != "notify_owner"]
    [enrich] = [f for f in of_kind(findings_of(data), Kind.FAILED_NODE) if f.node_slug == "enrich_company"]
    assert enrich.severity == "warning"
    assert enrich.message == (
        "failed; its fallback Tell the owner on Slack did not run, and the run went on to Qualify lead "
        "(fallbackOnFailure) (inferred: Qualify lead ran after it)"
    )


def test_fallback_on_failure_without_a_fallback_child_goes_on_to_the_next_node() -> None:
    """`fallbackOnFailure` and no fallback child: the failed execution names the next node, which
    ran. Not "failed with no fallback: the run failed here"."""
    graph = graph_of(fixture_bytes("cargo/fallback_without_child_run.json"))
    [enrich] = of_kind(compute_findings(graph), Kind.FAILED_NODE)
    assert enrich.severity == "warning"
    assert enrich.message == (
        "failed, and the run went on to Score the lead (fallbackOnFailure) "
        "(its execution names Score the lead as the next node)"
    )
    score = next(uuid for uuid, state in graph.states.items() if state.slug == "score_lead")
    assert graph.states[enrich.node_uuid or ""].outcome == FailureOutcome(None, score, "next node")
    assert graph.summary.status == "success" and graph.summary.verdict == "degraded"


def test_an_error_run_whose_fallback_ran_stopped_there() -> None:
    graph = graph_of(fixture_bytes("cargo/error_run_with_fallback_run.json"))
    [sync] = of_kind(compute_findings(graph), Kind.FAILED_NODE)
    assert sync.severity == "error"
    assert sync.message == (
        "failed; the fallback Tell the owner on Slack ran (success), fallbackOnFailure is off, "
        "and the run stopped here"
    )
    assert graph.summary.verdict == "failed"


def test_run_failed_with_no_failed_node() -> None:
    data = fixture_data("findings_retries.json")
    data["run"]["status"] = "error"
    data["run"]["errorMessage"] = "Workflow execution timed out"
    [failed] = of_kind(findings_of(data), Kind.RUN_FAILED)
    assert (failed.severity, failed.node_uuid, failed.detail) == (
        "error",
        None,
        "Workflow execution timed out",
    )


def test_filter_stopped_the_run_is_info() -> None:
    findings = findings_of(fixture_bytes("findings_filter_stopped.json"))
    assert [(f.kind, f.severity, f.node_slug) for f in findings] == [("filter-stopped", "info", "has_email")]
    assert "not an error" in findings[0].message
    assert findings[0].detail == 'computed config: {"condition": null}'


def test_a_filter_that_passed_is_no_finding() -> None:
    data = fixture_data("findings_filter_stopped.json")
    run = data["run"]
    run["executions"][1]["nodeChildIndex"] = 0
    run["executions"].append({"nodeUuid": "n-send", "nodeSlug": "send_intro", "status": "success"})
    data["runContext"]["send_intro"] = {"ok": True}
    assert of_kind(findings_of(data), Kind.FILTER_STOPPED) == []


def test_no_recorded_output() -> None:
    findings = findings_of(fixture_bytes("findings_no_output.json"))
    assert [(f.kind, f.severity, f.node_slug) for f in findings] == [("no-output", "info", "lookup_account")]
    assert findings[0].message == "ran, but runContext has nothing for `lookup_account`"


def test_no_run_context_at_all_is_one_finding() -> None:
    data = fixture_data("findings_no_output.json")
    data["runContext"] = None
    assert [(f.kind, f.node_uuid) for f in findings_of(data)] == [("no-output", None)]


def test_retries_that_ended_in_success_are_info() -> None:
    [retries] = of_kind(findings_of(fixture_bytes("findings_retries.json")), Kind.RETRIES)
    assert (retries.severity, retries.node_slug) == ("info", "fetch_company")
    assert retries.message == "needed 3 attempts; the last one succeeded"
    assert retries.detail is not None
    assert retries.detail.splitlines()[0] == "retry policy: up to 3 attempts, 1000 ms apart, backoff ×2"


def test_retries_that_ended_in_failure_are_a_warning_and_group_items_are_not_retries() -> None:
    retries = of_kind(findings_of(fixture_bytes("failed_run.json")), Kind.RETRIES)
    assert [(f.severity, f.node_slug, f.message) for f in retries] == [
        ("warning", "enrich_company", "made 2 attempts (the retry limit); the last one ended error")
    ]  # contacts_loop ran three times, once per item: not retries


def test_template_literal_left_in_the_computed_config_and_output() -> None:
    [literal] = of_kind(findings_of(fixture_bytes("findings_template_literal.json")), Kind.TEMPLATE_LITERAL)
    assert (literal.severity, literal.node_slug) == ("warning", "notify_owner")
    assert "computed config.text" in literal.message and "{{nodes.start.first_name}}" in literal.message
    assert (
        literal.detail is not None and "output.text: New lead: {{nodes.start.first_name}}" in literal.detail
    )


def test_stuck_run_shows_the_threshold() -> None:
    [stuck] = findings_of(fixture_bytes("findings_stuck_run.json"))
    assert (stuck.kind, stuck.severity, stuck.node_slug) == ("stuck-run", "warning", "wait_for_reply")
    assert stuck.message == "the run has been running with no update for 29m55s (threshold 10m00s)"
    assert stuck.detail is not None and "waiting on Wait for a reply" in stuck.detail


def test_stuck_run_depends_on_the_clock_and_the_threshold() -> None:
    graph = graph_of(fixture_bytes("findings_stuck_run.json"))
    early = datetime(2026, 11, 20, 9, 5, tzinfo=UTC)
    assert compute_findings(graph, now=early) == []
    [stuck] = compute_findings(graph, now=early, stuck_after=60)
    assert stuck.message.endswith("(threshold 1m00s)")


def test_graph_anomalies_are_findings_but_printed_once() -> None:
    data = fixture_data("failed_run.json")
    data["run"]["nodes"][0]["childrenUuids"].append("n-gone")
    graph = graph_of(data)
    findings = compute_findings(graph)
    [anomaly] = of_kind(findings, Kind.ANOMALY)
    assert (anomaly.severity, anomaly.node_slug) == ("warning", "start")
    assert anomaly.message == "child 1 points to n-gone, which is not a node"
    assert "anomaly" in [f["kind"] for f in json.loads(dumps(graph, findings))["findings"]]
    assert printed(graph, findings).count("points to n-gone") == 1  # in the Anomalies section only


# -- ordering, expressions, boundary and scale -------------------------------------------------


def test_findings_are_sorted_by_severity_then_graph_order() -> None:
    findings = findings_of(fixture_bytes("failed_run.json"))
    assert [(f.severity, f.kind, f.node_slug) for f in findings] == [
        ("error", "failed-node", "sync_crm"),
        ("warning", "failed-node", "enrich_company"),
        ("warning", "retries", "enrich_company"),
        ("info", "missing-path", "end"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{nodes.qualify.answer.qualified}}", [("qualify", ("answer", "qualified"))]),
        ("Hi {{ nodes.start.contacts[0] }}!", [("start", ("contacts", 0))]),
        ('{{nodes["my node"].answer["is qualified"]}}', [("my node", ("answer", "is qualified"))]),
        ("{{nodes.start.email.toLowerCase()}}", [("start", ("email",))]),
        ("{{nodes.a.x > 5 && nodes.b?.y}}", [("a", ("x",)), ("b", ("y",))]),
        ("{{item.nodes.x}} and nodes.start.email outside braces", []),
    ],
)
def test_references_in_expressions(text: str, expected: list[tuple[str, tuple[object, ...]]]) -> None:
    assert [(r.slug, r.path) for r in references_in(text)] == expected


def test_config_references_in_config_order_once_each_and_not_in_a_groups_sub_graph() -> None:
    config = {
        "b": ["{{nodes.a.one}}", 3, None, {"deep": ["no braces: nodes.a.plain", "{{ nodes.a.two[0] }}"]}],
        "reason": {"kind": "templateExpression", "expression": "nodes.a.bare", "value": "nodes.a.also"},
        "again": "{{nodes.a.one}} and {{nodes.a.one}}",
        "_nodes": {"n": {"config": {"x": "{{nodes.a.inside}}"}}},
        "last": "{{nodes.a.one}}",
    }
    data = run_of([node("a", "step"), node("g", "group", config=config), node("s", "step", config=config)])
    graph = graph_of(data)
    expected = [
        ("nodes.a.one", ("b", 0)),
        ("nodes.a.two[0]", ("b", 3, "deep", 1)),
        ("nodes.a.also", ("reason", "value")),  # an expression object's own keys are read first
        ("nodes.a.bare", ("reason", "expression")),
        ("nodes.a.one", ("again",)),
        ("nodes.a.one", ("last",)),
    ]
    group = [(r.text, r.where) for r in config_references(graph.states["g"])]
    assert group == expected
    step = [(r.text, r.where) for r in config_references(graph.states["s"])]
    assert step == [*expected[:5], ("nodes.a.inside", ("_nodes", "n", "config", "x")), expected[5]]
    parsed: dict[str, Any] = {}  # one parse of each template, shared by the nodes
    assert [config_references(graph.states[u], parsed) for u in "gs"] == [
        config_references(graph.states[u]) for u in "gs"
    ]
    assert "{{nodes.a.one}}" in parsed


def test_the_same_read_in_many_nodes_is_checked_for_each() -> None:
    reads = {"x": "{{nodes.a.out}}", "y": "{{nodes.a.nope}}"}
    nodes = [
        node("a", "step", ["b"]),
        node("b", "step", ["c"], config=reads),
        node("c", "step", config=reads),
    ]
    data = run_of(nodes, [execution("a"), execution("b"), execution("c")])
    data["runContext"] = {"a": {"out": 1}, "b": {}, "c": {}}
    missing = of_kind(findings_of(data), Kind.MISSING_PATH)
    assert [(f.node_slug, f.message) for f in missing] == [
        (slug, "reads `nodes.a.nope`, a path that does not exist in the output of a") for slug in "bc"
    ]


def test_template_literal_written_with_json_escapes_is_found() -> None:
    nodes = [node("a", "step")]
    data = run_of(nodes, [execution("a")])
    data["runContext"] = {"a": {"deep": [{"text": "left: {{x}}"}]}}
    body = json.dumps(data).replace("{{x}}", "\\u007b\\u007Bx}}").encode()
    assert b"{{" not in body
    [literal] = of_kind(findings_of(body), Kind.TEMPLATE_LITERAL)
    assert literal.message == "a template was left unevaluated in its output.deep[0].text: left: {{x}}"


def test_stuck_run_reads_timestamps_with_and_without_a_time_zone() -> None:
    nodes = [node("a", "step")]
    executions = [
        execution("a", "running", startedAt="2026-11-20T09:00:05", updatedAt="2026-11-20T09:00:01Z"),
        execution("a", "running", startedAt="2026-11-20T08:00:00Z", finishedAt=None),
    ]
    for moments in (executions, executions[:1]):
        data = run_of(nodes, moments, status="running")
        [stuck] = of_kind(findings_of(data), Kind.STUCK_RUN)
        assert stuck.message.startswith("the run has been running with no update for 29m55s")
        assert stuck.detail is not None and stuck.detail.startswith("last update 2026-11-20 09:00:05 UTC")


def test_resolve_and_format() -> None:
    output = {"answer": {"list": [1, {"k": None}]}}
    assert resolve(output, ("answer", "list", 1, "k")) == (None, 4)
    assert resolve(output, ("answer", "list", "length")) == (2, 3)
    assert resolve(output, ("answer", "nope", "k")) == (MISSING, 1)
    assert format_reference("start", ("contacts", 0, "first name")) == 'nodes.start.contacts[0]["first name"]'


def test_headless() -> None:
    probe = (
        "import run_inspector.findings, run_inspector.why, sys; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_findings_cost_less_than_building_the_graph_on_a_large_run() -> None:
    """5,000 nodes and 50,000 executions: findings must stay linear (no walk per node)."""
    uuids = ["start", *(f"s{i}" for i in range(1, 4999)), "end"]
    nodes = [
        node(
            u,
            "start" if u == "start" else "end" if u == "end" else "step",
            [uuids[i + 1]] if i + 1 < len(uuids) else [],
            config={"v": f"{{{{nodes.{uuids[i - 1]}.out}}}} {{{{nodes.{uuids[i - 1]}.wrong}}}}"} if i else {},
        )
        for i, u in enumerate(uuids)
    ]
    executions = [execution(u, "error" if k < 9 and k % 2 else "success") for u in uuids for k in range(10)]
    data = run_of(nodes, executions)
    data["runContext"] = {u: {"out": i} for i, u in enumerate(uuids)}
    body = json.dumps(data).encode()
    started = time.perf_counter()
    graph = graph_of(body)
    built = time.perf_counter()
    findings = compute_findings(graph)
    done = time.perf_counter()
    assert len(of_kind(findings, Kind.MISSING_PATH)) == 4999
    assert len(of_kind(findings, Kind.RETRIES)) == 5000
    assert done - built < max(built - started, 1.0)


def test_api_text_in_findings_is_sanitised_in_print() -> None:
    data = fixture_data("findings_template_literal.json")
    data["runContext"]["start"]["\x1b]0;owned\x07evil"] = 1
    data["runContext"]["notify_owner"]["text"] = "{{x}} \x1b[2J\u202e"
    graph = graph_of(data)
    findings = compute_findings(graph)
    assert any("\x1b" in (f.detail or "") for f in findings)  # kept as is in the data and in --json
    text = printed(graph, findings)
    assert "\x1b" not in text and "\u202e" not in text
    assert "{{x}}" in text
