"""The run graph: labels, flat sequences, joins, references and anomalies."""

from __future__ import annotations

from run_inspector.graph import IN_CHILD_RUNS, NOT_REACHED, EdgeKind, RunGraph
from run_inspector.layout import ItemKind, TreeItem, flat_layout, node_order, walk

from .helpers import chain, execution, fixture_bytes, graph_of, node, run_of


def outline(graph: RunGraph) -> list[str]:
    """The tree as `depth kind name` lines (names from the node slug or the item text)."""
    lines = []
    for item, parent, depth in walk(flat_layout(graph).root):
        if parent is None:
            continue
        name = (
            graph.states[item.node_uuid].slug
            if item.kind in (ItemKind.NODE, ItemKind.REF) and item.node_uuid
            else item.text
        )
        lines.append(f"{depth} {item.kind.value} {name}")
    return lines


def test_failed_fixture_tree_has_labels_fallback_group_and_join() -> None:
    graph = graph_of(fixture_bytes("failed_run.json"))
    assert outline(graph) == [
        "1 node start",
        "1 node enrich_company",
        "2 edge on failure",
        "3 node notify_owner",
        "3 ref qualify",
        "1 node qualify",
        "1 node is_qualified",
        "2 edge yes",
        "3 node contacts_loop",
        "4 section for each item: sub-graph of 3 nodes, 3 child runs",
        "5 node item_start",
        "5 node find_email",
        "5 node item_end",
        "3 node sync_crm",
        "3 ref end",
        "2 edge no",
        "3 node log_skip",
        "3 ref end",
        "1 node end",
    ]
    assert graph.anomalies == []


def test_failed_fixture_node_states() -> None:
    graph = graph_of(fixture_bytes("failed_run.json"))
    enrich = graph.states["n-enrich"]
    assert (enrich.status, enrich.attempts, enrich.credits) == ("error", 2, 2.0)
    assert enrich.first_error == "Clearbit timed out after 3000 ms"
    assert enrich.fallback_took_over and enrich.fallback_edge is not None and enrich.fallback_edge.continues
    assert graph.states["n-loop"].child_runs == ["run-child-1", "run-child-2", "run-child-3"]
    assert graph.states["s-find"].status == IN_CHILD_RUNS
    assert graph.states["n-end"].status == NOT_REACHED
    branch = graph.states["n-branch"]
    assert [(e.label, e.taken) for e in branch.edges] == [("yes", True), ("no", False)]
    summary = graph.summary
    assert (summary.status, summary.verdict, summary.credits) == ("error", "failed", 9.0)
    assert (
        summary.first_failed == "n-sync"
    )  # the failure that stopped the run, not the one a fallback handled
    assert summary.elapsed == 26.0
    assert (summary.nodes_reached, summary.nodes_done) == (7, 7)


def test_no_edge_label_is_lost_in_dimmed_branch() -> None:
    graph = graph_of(fixture_bytes("failed_run.json"))
    no_edge = next(i for i, _, _ in walk(flat_layout(graph).root) if i.kind is ItemKind.EDGE and i.text == "no")
    assert no_edge.dimmed and all(c.dimmed for c in no_edge.children)


def test_long_chain_stays_flat() -> None:
    graph = graph_of(chain(2000))
    depths = {depth for _, parent, depth in walk(flat_layout(graph).root) if parent is not None}
    assert depths == {1}
    assert len(node_order(graph)) == 2002


def test_edge_labels_for_switch_split_filter() -> None:
    nodes = [
        node("start", "start", ["sw"]),
        node("sw", "switch", ["a", "b"], config={"routes": [{"name": "EMEA"}, {"name": "US"}]}),
        node("a", "split", ["x", "y"]),
        node("b", "filter", ["end"]),
        node("x", children=["end"]),
        node("y", children=["end"]),
        node("end", "end"),
    ]
    graph = graph_of(run_of(nodes))
    labels = {u: [e.label for e in graph.states[u].edges] for u in ("sw", "a", "b")}
    assert labels == {"sw": ["EMEA", "US"], "a": ["A", "B"], "b": ["if true"]}
    assert graph.anomalies == []


def test_fallback_that_stops_the_run() -> None:
    nodes = [
        node("start", "start", ["c"]),
        node("c", "call", ["end"], kind="connector", fallbackChildUuid="fb"),
        node("fb", "notify", []),
        node("end", "end"),
    ]
    graph = graph_of(
        run_of(
            nodes,
            [execution("start"), execution("c", "error", errorMessage="boom"), execution("fb")],
            status="error",
        )
    )
    edge = graph.states["c"].fallback_edge
    assert edge is not None and edge.kind is EdgeKind.FALLBACK and not edge.continues and edge.taken
    assert graph.summary.verdict == "failed"


def test_degraded_verdict_when_fallback_lets_run_go_on() -> None:
    nodes = [
        node("start", "start", ["c"]),
        node("c", "call", ["end"], kind="connector", fallbackChildUuid="fb", fallbackOnFailure=True),
        node("fb", "notify", ["end"]),
        node("end", "end"),
    ]
    graph = graph_of(
        run_of(
            nodes,
            [
                execution("start"),
                execution("c", "error", errorMessage="boom"),
                execution("fb"),
                execution("end"),
            ],
        )
    )
    assert graph.summary.verdict == "degraded"


def test_cycles_self_loops_null_and_dangling_children_are_flagged_not_fatal() -> None:
    nodes = [
        node("start", "start", ["a"]),
        node("a", children=["b", None, "ghost"]),
        node("b", children=["a", "b"]),
        node("a", children=[]),
        node("lonely"),
    ]
    graph = graph_of(run_of(nodes, [execution("a"), execution("nowhere", "error")]))
    kinds = sorted({a.kind for a in graph.anomalies})
    assert kinds == [
        "cycle",
        "dangling-child",
        "duplicate-uuid",
        "null-child",
        "self-loop",
        "unknown-node",
        "unreachable",
    ]
    shown = {i.node_uuid for i, _, _ in walk(flat_layout(graph).root) if i.kind is ItemKind.NODE}
    assert shown == set(graph.states)  # every node appears, the duplicate and the unknown included


def test_every_execution_is_accounted_for() -> None:
    graph = graph_of(
        run_of(
            [node("start", "start")],
            [execution("start"), execution("start", "error"), {"status": "success"}, {}],
        )
    )
    assert sum(len(s.executions) for s in graph.states.values()) == 4


def test_nodes_null_and_no_start() -> None:
    graph = graph_of({"run": {"uuid": "r", "status": "running", "nodes": None, "executions": []}})
    assert {a.kind for a in graph.anomalies} == {"no-nodes"}
    assert graph.summary.verdict == "running"
    assert isinstance(flat_layout(graph).root, TreeItem)


def test_keys_are_unique() -> None:
    graph = graph_of(fixture_bytes("failed_run.json"))
    keys = [i.key for i, _, _ in walk(flat_layout(graph).root)]
    assert len(keys) == len(set(keys))


def test_a_runs_objects_hold_no_reference_cycles() -> None:
    """The poller takes each snapshot out of the cycle collector's sight (`gc.freeze`) and counts
    on reference counting alone to free it when the next one replaces it: a cycle anywhere in
    the parsed response, the graph or its findings would be memory never given back."""
    import gc
    from pathlib import Path

    from benchmarks.generate import generate, mutate_executions, to_bytes
    from run_inspector.findings import compute_findings
    from run_inspector.increment import IncrementalParser
    from run_inspector.models import parse_run_response

    fixtures = sorted((Path(__file__).parent / "fixtures").rglob("*.json"))
    data = generate(80, 400)
    bodies = [path.read_bytes() for path in fixtures] + [to_bytes(data)]
    bodies.append(to_bytes(mutate_executions(data, 0.05)[0]))

    def digest(parser: IncrementalParser, body: bytes) -> None:
        graph = RunGraph.build(parser.parse(body))
        compute_findings(graph)
        list(walk(flat_layout(graph).root))

    for body in bodies:  # warm up: first uses fill pydantic's and the modules' caches
        parse_run_response(body)
        digest(IncrementalParser(), body)
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        parser = IncrementalParser()
        for body in bodies:
            digest(parser, body)
            assert gc.collect() == 0, "a reference cycle in the run's objects"
    finally:
        if was_enabled:
            gc.enable()
