"""The "why" report: the path to a node, the route at each branch, its error, input and reads."""

from __future__ import annotations

from run_inspector.expressions import MISSING
from run_inspector.findings import Kind
from run_inspector.why import WhyReport, explain, explain_run

from .helpers import execution, fixture_bytes, fixture_data, graph_of, node, run_of


def slugs(report: WhyReport) -> list[str]:
    return [step.title for step in report.path]


def test_failed_run_explains_the_node_that_stopped_it() -> None:
    report = explain_run(graph_of(fixture_bytes("failed_run.json")))
    assert report is not None
    assert report.node_uuid == "n-sync"
    assert slugs(report) == [
        "Start",
        "Enrich company",
        "Tell the owner on Slack",
        "Qualify lead",
        "Qualified?",
        "For each contact",
        "Sync to HubSpot",
    ]
    assert report.path_complete
    assert report.error is not None and report.error.startswith('HubSpot 400: Property "lifecyclestage"')
    assert report.resolved_input == {"email": ["ann@acme.com", "bob@acme.com", "cy@acme.com"]}
    assert report.fallback == "failed with no fallback: the run failed here"
    assert [f.kind for f in report.findings] == [Kind.FAILED_NODE]


def test_path_shows_the_route_and_why_at_each_routing_node() -> None:
    report = explain(graph_of(fixture_bytes("failed_run.json")), "n-sync")
    by_title = {step.title: step for step in report.path}
    branch = by_title["Qualified?"]
    assert (branch.routing, branch.via, branch.taken) == (True, "yes", True)
    assert branch.decided_by == {"condition": True}  # the computed input that decided it
    enrich = by_title["Enrich company"]
    assert (enrich.via, enrich.taken) == ("on failure (run goes on)", True)
    assert by_title["Qualify lead"].via is None  # a plain next edge has no words


def test_upstream_reads_show_the_values_the_expressions_found() -> None:
    report = explain(graph_of(fixture_bytes("failed_run.json")), "n-sync")
    [read] = report.upstream_reads
    assert (read.expression, read.slug, read.path, read.note) == (
        "nodes.contacts_loop.emails",
        "contacts_loop",
        ("emails",),
        None,
    )
    assert read.value == ["ann@acme.com", "bob@acme.com", "cy@acme.com"]


def test_fallback_that_took_over() -> None:
    """The run ended in error later on: what the fallback did is said, never "degraded"."""
    report = explain(graph_of(fixture_bytes("failed_run.json")), "n-enrich")
    assert report.fallback == (
        "failed; the fallback Tell the owner on Slack took over (success) and the run went on; the run ended error"
    )
    assert report.error == "Clearbit timed out after 3000 ms"


def test_fallback_that_did_not_run() -> None:
    data = fixture_data("failed_run.json")
    run = data["run"]
    run["executions"] = [e for e in run["executions"] if e["nodeSlug"] in ("start", "enrich_company")]
    report = explain(graph_of(data), "n-enrich")
    assert (
        report.fallback == "failed and its fallback Tell the owner on Slack did not run: the run failed here"
    )


def test_a_fallback_not_needed() -> None:
    data = fixture_data("failed_run.json")
    for step in data["run"]["executions"]:
        if step["nodeSlug"] == "enrich_company":
            step["status"], step["errorMessage"] = "success", None
    report = explain(graph_of(data), "n-enrich")
    assert report.fallback == (
        "fallback: Tell the owner on Slack (the run goes on after it); not needed: the node did not fail"
    )


def test_wrong_path_run_explains_the_branch_that_read_a_missing_value() -> None:
    report = explain_run(graph_of(fixture_bytes("findings_wrong_path.json")))
    assert report is not None and report.node_uuid == "n-branch"
    assert slugs(report) == ["Start", "Qualify lead", "Qualified?"]
    last = report.path[-1]
    assert (last.via, last.taken, last.decided_by) == ("no", True, {"condition": None})
    [read] = report.upstream_reads
    assert read.expression == "nodes.qualify.qualified"
    assert read.value is MISSING
    assert read.note == (
        "`nodes.qualify` has no .qualified; agent output sits under `.answer`: "
        "use `nodes.qualify.answer.qualified`"
    )
    assert [f.kind for f in report.findings] == [Kind.BRANCH_RESULT]


def test_wrong_path_end_reads() -> None:
    report = explain(graph_of(fixture_bytes("findings_wrong_path.json")), "n-end")
    assert slugs(report) == ["Start", "Qualify lead", "Qualified?", "Add to nurture sequence", "End"]
    assert report.path[2].via == "no"
    assert [(r.expression, r.value) for r in report.upstream_reads] == [
        ("nodes.qualify.qualified", MISSING),
        ("nodes.qualify.answer.score", 82),
        ("nodes.qualify.reason", MISSING),
    ]
    assert report.output == {"qualified": None, "score": 82, "reason": None}


def test_a_node_on_a_branch_not_taken_shows_the_edge_the_run_did_not_take() -> None:
    report = explain(graph_of(fixture_bytes("failed_run.json")), "n-skip")
    assert slugs(report)[-2:] == ["Qualified?", "Mark as skipped"]
    assert (report.path[-2].via, report.path[-2].taken) == ("no", False)
    assert report.status == "not_reached"


def test_a_sub_graph_node_is_reached_through_its_group() -> None:
    report = explain(graph_of(fixture_bytes("failed_run.json")), "s-find")
    assert slugs(report)[-3:] == ["For each contact", "item_start", "Find e-mail"]
    assert report.path[-3].via == "for each item"
    assert report.path_complete


def test_reads_of_a_node_that_was_not_reached_or_does_not_exist() -> None:
    data = fixture_data("failed_run.json")
    end = next(n for n in data["run"]["nodes"] if n["slug"] == "end")
    end["config"]["variables"] = {"a": "{{nodes.log_skip.x}}", "b": "{{nodes.nobody.x}}"}
    report = explain(graph_of(data), "n-end")
    assert [(r.value, r.note) for r in report.upstream_reads] == [
        (MISSING, "Mark as skipped was not reached"),
        (MISSING, "no node has the slug `nobody`"),
    ]


def test_cycles_end_and_unreachable_nodes_have_no_path() -> None:
    nodes = [
        node("start", "start", ["a"]),
        node("a", "step", ["b"]),
        node("b", "step", ["a", "end"]),
        node("end", "end"),
        node("island", "step"),
    ]
    graph = graph_of(run_of(nodes, [execution(u) for u in ("start", "a", "b", "a", "b", "end")]))
    report = explain(graph, "end")
    assert slugs(report) == ["start", "a", "b", "end"]
    assert report.path_complete
    island = explain(graph, "island")
    assert (slugs(island), island.path_complete) == (["island"], False)


def test_nothing_to_explain_in_a_clean_run() -> None:
    data = run_of(
        [node("start", "start", ["end"]), node("end", "end")], [execution("start"), execution("end")]
    )
    data["runContext"] = {"start": {"email": "a@b.c"}, "end": {}}
    assert explain_run(graph_of(data)) is None
