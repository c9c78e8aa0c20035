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


def test_the_generator_command_line_writes_chains_finished_runs_and_mutations(tmp_path: Path) -> None:
    from benchmarks.generate import main

    out = tmp_path / "chain.json"
    assert main(["--chain", "--nodes", "40", "--seed", "2", "--out", str(out)]) == 0
    graph = graph_of(out.read_bytes())
    assert len(graph.states) == 40
    assert sum(len(state.executions) for state in graph.states.values()) == 39  # all but the end
    assert not {"branch", "switch", "split", "filter", "group"} & {state.action for state in graph.states.values()}
    assert graph.summary.status == "running"

    assert main(["--chain", "--nodes", "40", "--finished", "--out", str(out)]) == 0
    graph = graph_of(out.read_bytes())
    assert sum(len(state.executions) for state in graph.states.values()) == 40
    assert graph.summary.status == "success"

    assert main(["S", "--out", str(out)]) == 0
    plain = out.read_bytes()
    assert plain == to_bytes(generate(30, 100, seed=1))  # a named size is the benchmarks' run
    assert main(["S", "--mutate", "0.01", "--out", str(out)]) == 0
    assert out.read_bytes() == to_bytes(mutate_executions(generate(30, 100, seed=1), 0.01)[0])
    with pytest.raises(SystemExit):
        main(["--nodes", "5", "--out", str(out)])  # too small: a usage error, not a traceback


def test_the_growth_table_flags_a_stage_that_grows_faster_than_json_loads() -> None:
    from benchmarks.run import growth_table

    def result(size: str, nodes: int, stage: str, value: float) -> dict[str, object]:
        return {"size": size, "nodes": nodes, "executions": nodes * 10, "bytes": nodes, "stage": stage,
                "value": value, "floor": None, "ratio": None, "unit": "s"}

    lines = growth_table([
        result("L", 2000, "json.loads (the floor)", 0.1), result("L", 2000, "linear", 0.1),
        result("L", 2000, "quadratic", 0.1),
        result("XXL", 100_000, "json.loads (the floor)", 5.0), result("XXL", 100_000, "linear", 6.0),
        result("XXL", 100_000, "quadratic", 50.0),
    ])
    linear = next(line for line in lines if line.startswith("linear"))
    quadratic = next(line for line in lines if line.startswith("quadratic"))
    assert linear.endswith("yes")
    assert "NOT LINEAR: XXL 10.0x L" in quadratic


def test_the_key_rows_run_once() -> None:
    tui = pytest.importorskip("benchmarks.tui")
    body = to_bytes(generate(TINY.nodes, TINY.executions, seed=1))
    rows = tui.key_rows(body, repeats=1, text="st")
    assert [format_row(row) for row in rows if row.value is None] == []
    stages = [row.stage for row in rows]
    assert any(stage.startswith("search") for stage in stages)
    assert any(stage.startswith("w:") for stage in stages) and any(stage.startswith("q:") for stage in stages)
    assert any(stage.startswith("t:") for stage in stages)
    exact = next(row for row in rows if "count was exact" in row.stage)
    assert exact.passed is not None  # checked, whichever way it came out


def test_the_idle_poll_rows_run_once() -> None:
    pytest.importorskip("benchmarks.tui")
    from benchmarks import poll

    body = to_bytes(generate(TINY.nodes, TINY.executions, seed=1))
    rows = poll.rows(body, polls=1)
    assert [format_row(row) for row in rows if row.value is None] == []
    assert all(row.value is not None and row.value >= 0 for row in rows[:1])


def test_the_memory_holders_run_once(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import memory

    assert memory.main(["--size", "S", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "by type" in out and "the raw body kept" in out


def test_a_printed_table_reads_back_for_the_growth_table() -> None:
    from benchmarks.run import Row, results_from_printed

    printed = "\n".join([
        "== L: 2,000 nodes, 20,000 executions, 15.0 MiB of JSON ==",
        format_row(Row("json.loads (the floor)", 0.0838, 0.0838)),
        format_row(Row("a stage whose name is longer than its forty-four columns", 1.5, 0.0838)),
        format_row(Row("peak memory", 5.0, unit="x")),
    ])
    results = results_from_printed(printed)
    assert [(r["size"], r["nodes"], r["stage"]) for r in results] == [
        ("L", 2000, "json.loads (the floor)"),
        ("L", 2000, "a stage whose name is longer than its forty-four columns"),
    ]
    assert abs(float(results[1]["value"]) - 1.5) < 1e-9  # type: ignore[arg-type]
