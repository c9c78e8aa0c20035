"""The benchmark suite keeps working: a tiny run through the generator and every stage, once.

No timing thresholds here: on a shared machine a timing says nothing in a test. The real
numbers come from `python -m benchmarks.run` (see benchmarks/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.generate import Size, generate, mutate_executions, to_bytes
from benchmarks.run import core_rows, format_row, prepare
from run_inspector.graph import EdgeKind, RunGraph
from run_inspector.models import parse_run_response

TINY = Size("tiny", 24, 90)


def graph_of(body: bytes) -> RunGraph:
    return RunGraph.build(parse_run_response(body))


def test_the_generator_makes_the_size_asked_for_the_same_way_every_time() -> None:
    body = to_bytes(generate(TINY.nodes, TINY.executions, seed=3))
    assert body == to_bytes(generate(TINY.nodes, TINY.executions, seed=3))
    graph = graph_of(body)
    assert len(graph.states) == TINY.nodes  # top-level nodes and group sub-graph nodes
    assert sum(len(state.executions) for state in graph.states.values()) == TINY.executions
    assert not graph.unknown_node_states
    assert graph.summary.status == "running"


def test_a_generated_run_has_the_shapes_that_matter() -> None:
    graph = graph_of(to_bytes(generate(300, 3000, seed=1)))
    actions = {state.action for state in graph.states.values()}
    assert {"start", "end", "group", "branch", "switch", "split", "filter"} <= actions
    assert any(state.sub_nodes for state in graph.states.values())
    assert any(len(state.child_runs) > 1 for state in graph.states.values())  # a group's items
    assert any(state.attempts > 1 and state.first_error for state in graph.states.values())  # retries
    assert any(e.kind is EdgeKind.FALLBACK and e.taken for s in graph.states.values() for e in s.edges)
    agent = next(s for s in graph.states.values() if s.kind == "agent" and s.executions)
    assert "answer" in graph.output_of(agent.uuid)


def test_mutation_changes_one_percent_of_the_executions_and_names_their_nodes() -> None:
    data = generate(100, 1000, seed=1)
    before = to_bytes(data)
    changed, touched = mutate_executions(data, 0.01)
    assert to_bytes(data) == before  # the original is left alone
    old, new = data["run"]["executions"], changed["run"]["executions"]
    differ = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert len(differ) == 10
    assert {new[i]["nodeUuid"] for i in differ} == touched
    assert all(old[i]["status"] != new[i]["status"] for i in differ)


def test_every_core_stage_runs_once(tmp_path: Path) -> None:
    rows = core_rows(prepare(TINY, tmp_path), repeats=1, subprocess_repeats=1)
    stages = [row.stage for row in rows]
    assert stages[0] == "json.loads (the floor)"
    assert any(stage.startswith("--print") for stage in stages)
    assert any(stage.startswith("peak memory") for stage in stages)
    failed = [format_row(row) for row in rows if row.value is None]
    assert failed == []  # e.g. --print exited non-zero, or the memory probe failed
    assert all(format_row(row) for row in rows)


def test_the_tui_stages_run_once(tmp_path: Path) -> None:
    tui = pytest.importorskip("benchmarks.tui")
    prepared = prepare(TINY, tmp_path)
    rows = tui.rows("tiny", prepared.body, prepared.changed, prepared.changed_nodes, repeats=1)
    assert [row for row in rows if row.value is None] == []
    labels = next(row for row in rows if row.stage.startswith("refresh, 1% changed: labels"))
    assert labels.passed, labels.note  # a refresh relabels only lines of nodes that changed
