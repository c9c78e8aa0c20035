"""Property tests: random and mutated run JSON never crashes a view and never loses an execution.

Hypothesis starts from real responses (the failed-run fixture, the demo run at any moment)
and mutates them the way broken or hostile data does: keys deleted, values nulled or given
the wrong type, text replaced with markup, escape sequences and control characters, children
shuffled, duplicated and dropped, statuses invented, values wrapped in deeper nesting, and
the body itself cut short or replaced. Each example goes through everything a user sees:
the models, the graph, the findings, --print (plain and coloured), --json and the why report,
and the TUI's render path: the tree's labels in every mode, and a handful of runs mounted in
the real app.

The only exception allowed is `InvalidResponseError`, and only for a body with no run object
in it. Every execution in the response must be in exactly one node's list.

`derandomize=True`: the examples are the same on every run, so CI is reproducible.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from run_inspector.demo import DEMO_DURATION, demo_response
from run_inspector.errors import InvalidResponseError
from run_inspector.findings import compute_findings
from run_inspector.graph import RunGraph
from run_inspector.models import RUN_STATUSES, parse_run_response
from run_inspector.render_json import dumps
from run_inspector.render_text import print_run, render_lines
from run_inspector.sanitize import clean, one_line
from run_inspector.why import explain, explain_run

from .fixtures.make_hostile import HOSTILE_TEXTS
from .helpers import fixture_data

UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- strategies ----------------------------------------------------------------------------------

TRICKY_CHARACTERS = list(
    '\x00\x07\x08\x1b\x7f\x85\x9b\x9c\x9d\u200b\u200d\u202e\u2066\ud800\udfff\n\r\t[]/@=$\\"{}'
)

text = st.one_of(
    st.sampled_from(list(HOSTILE_TEXTS.values())),
    st.text(st.one_of(st.characters(exclude_categories=()), st.sampled_from(TRICKY_CHARACTERS)), max_size=40),
    st.sampled_from(
        ["", " ", "start", "end", "branch", "switch", "group", "filter", "split", "{{nodes.x.y}}"]
    ),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=10,
)

statuses = st.one_of(
    st.sampled_from([*RUN_STATUSES, "exploded", "", "SUCCESS"]), text, st.none(), st.integers()
)

INTERESTING = frozenset(
    {
        "run",
        "nodes",
        "executions",
        "uuid",
        "slug",
        "name",
        "status",
        "kind",
        "actionSlug",
        "childrenUuids",
        "fallbackChildUuid",
        "fallbackOnFailure",
        "nodeUuid",
        "nodeSlug",
        "nodeChildIndex",
        "nextNodeUuid",
        "nodeRunUuid",
        "errorMessage",
        "title",
        "config",
        "_nodes",
        "routes",
        "items",
        "startedAt",
        "finishedAt",
        "createdAt",
        "creditsUsedCount",
        "runContext",
        "runComputedConfigs",
        "recordTitle",
    }
)

Path = tuple[Any, ...]


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every place in a JSON document (not the root), depth first."""
    found: list[Path] = []
    stack: list[tuple[Any, Path]] = [(value, prefix)]
    while stack:
        current, where = stack.pop()
        items: list[tuple[Any, Any]] = []
        if isinstance(current, dict):
            items = list(current.items())
        elif isinstance(current, list):
            items = list(enumerate(current))
        for key, child in items:
            found.append((*where, key))
            stack.append((child, (*where, key)))
    return found


def parent_of(document: Any, path: Path) -> Any:
    for key in path[:-1]:
        document = document[key]
    return document


def mutate(data: st.DataObject, document: Any, rounds: int) -> Any:
    """Apply `rounds` random mutations to `document` (in place where it can) and return it."""
    for _ in range(rounds):
        every = paths(document)
        if not every:
            break
        interesting = [p for p in every if isinstance(p[-1], str) and p[-1] in INTERESTING]
        pool = interesting if interesting and data.draw(st.booleans()) else every
        path = pool[data.draw(st.integers(0, len(pool) - 1))]
        parent = parent_of(document, path)
        key = path[-1]
        value = parent[key]
        operation = data.draw(
            st.sampled_from(
                [
                    "delete",
                    "null",
                    "wrong-type",
                    "text",
                    "status",
                    "nest",
                    "list-shuffle",
                    "list-dup",
                    "list-drop",
                ]
            )
        )
        if operation == "delete":
            del parent[key]
        elif operation == "null":
            parent[key] = None
        elif operation == "wrong-type":
            parent[key] = data.draw(json_values)
        elif operation == "text":
            parent[key] = data.draw(text)
        elif operation == "status":
            parent[key] = data.draw(statuses)
        elif operation == "nest":
            parent[key] = data.draw(st.sampled_from([[value], {"nested": value}, [[value]]]))
        elif isinstance(value, list) and value:
            if operation == "list-shuffle":
                parent[key] = data.draw(st.permutations(value))
            elif operation == "list-dup":
                parent[key] = [*value, value[data.draw(st.integers(0, len(value) - 1))]]
            else:
                del value[data.draw(st.integers(0, len(value) - 1))]
    return document


def seeds() -> list[dict[str, Any]]:
    demo = [demo_response(t) for t in (0.5, DEMO_DURATION / 2, 1e9)]
    return [fixture_data("failed_run.json"), *(d for d in demo if d is not None)]


SEEDS = seeds()


@st.composite
def mutated_runs(draw: st.DrawFn) -> Any:
    document = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    return mutate(draw(st.data()), document, draw(st.integers(1, 12)))


def body_of(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=True).encode()


@st.composite
def broken_bodies(draw: st.DrawFn) -> bytes:
    """Whole-body faults: cut short, wrapped, replaced, or prefixed with junk."""
    body = body_of(draw(mutated_runs()))
    kind = draw(st.sampled_from(["cut", "not-an-object", "run-not-an-object", "junk", "bytes"]))
    if kind == "cut":
        return body[: draw(st.integers(0, len(body)))]
    if kind == "not-an-object":
        return body_of(draw(st.one_of(st.lists(json_values, max_size=3), st.integers(), text, st.none())))
    if kind == "run-not-an-object":
        return body_of({"run": draw(st.one_of(st.lists(json_values, max_size=3), text, st.none()))})
    if kind == "junk":
        return draw(st.sampled_from([b"<html>", b"\xff\xfe", b"\x00", b"  "])) + body
    return draw(st.binary(max_size=200))


# -- the property --------------------------------------------------------------------------------


def has_run_object(body: bytes) -> bool:
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("run"), dict)


def raw_execution_count(body: bytes) -> int | None:
    data = json.loads(body.decode("utf-8", "replace"))
    executions = data["run"].get("executions")
    return len(executions) if isinstance(executions, list) else None


def everything_a_user_sees(body: bytes) -> RunGraph | None:
    """Models → graph → findings → --print → --json → why. None: no run object (allowed)."""
    try:
        parsed = parse_run_response(body)
    except InvalidResponseError:
        assert not has_run_object(body), "a body with a run object was refused"
        return None
    graph = RunGraph.build(parsed)
    findings = compute_findings(graph)

    plain = "\n".join(line.plain for line in render_lines(graph, findings))
    assert not UNSAFE.search(plain), UNSAFE.findall(plain)
    printed = io.StringIO()
    print_run(graph, printed, findings=findings)
    print_run(graph, io.StringIO(), findings=findings, color=True)
    assert printed.getvalue().count("\n") == len(render_lines(graph, findings))

    dumped = dumps(graph, findings)
    assert dumped.isascii()
    summary = json.loads(dumped)

    for uuid in list(graph.states)[:3]:
        explain(graph, uuid, findings=findings)
    explain_run(graph, findings)

    executions = len(graph.run.executions or [])
    assert sum(len(state.executions) for state in graph.states.values()) == executions
    assert summary["run"]["executions"] == executions == sum(n["attempts"] for n in summary["nodes"])
    expected = raw_execution_count(body)
    if expected is not None:
        assert executions == expected, "an execution was dropped while parsing"
    return graph


@SETTINGS
@given(mutated_runs())
def test_mutated_runs_are_shown_and_keep_every_execution(document: Any) -> None:
    graph = everything_a_user_sees(body_of(document))
    assert graph is not None or not isinstance(document.get("run"), dict)


@settings(SETTINGS, max_examples=250)
@given(broken_bodies())
def test_broken_bodies_are_refused_cleanly_or_shown(body: bytes) -> None:
    everything_a_user_sees(body)


@settings(max_examples=250, deadline=None, derandomize=True)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "uuid": st.one_of(st.sampled_from(["a", "b", "c", "d", "start", "end"]), text, st.none()),
                "kind": st.one_of(
                    st.sampled_from(["native", "connector", "tool", "agent", "quantum"]), st.none()
                ),
                "actionSlug": st.sampled_from(
                    ["start", "end", "branch", "switch", "filter", "split", "group", "x"]
                ),
                "childrenUuids": st.lists(st.one_of(st.sampled_from(["a", "b", "c", "d", "end"]), st.none())),
                "fallbackChildUuid": st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"])),
                "fallbackOnFailure": st.booleans(),
            }
        ),
        max_size=8,
    ),
    st.lists(
        st.fixed_dictionaries(
            {
                "nodeUuid": st.one_of(
                    st.sampled_from(["a", "b", "c", "d", "start", "end", "ghost"]), st.none()
                ),
                "status": statuses,
                "nodeChildIndex": st.one_of(st.none(), st.integers(-2, 5)),
            }
        ),
        max_size=12,
    ),
)
def test_random_graphs_are_shown_and_keep_every_execution(
    nodes: list[dict[str, Any]], executions: list[dict[str, Any]]
) -> None:
    """Graphs made from scratch: cycles, self-loops, duplicates and dangling edges at random."""
    document = {"run": {"uuid": "r", "status": "running", "nodes": nodes, "executions": executions}}
    graph = everything_a_user_sees(body_of(document))
    assert graph is not None and len(graph.run.executions or []) == len(executions)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(st.one_of(st.characters(exclude_categories=()), st.sampled_from(TRICKY_CHARACTERS))))
def test_the_sanitiser_lets_no_control_character_through(value: str) -> None:
    cleaned = clean(value)
    assert not UNSAFE.search(cleaned)
    assert clean(cleaned) == cleaned
    line = one_line(value, 40)
    assert not UNSAFE.search(line) and "\n" not in line and len(line) <= 40


# -- the TUI's render path -----------------------------------------------------------------------


@settings(SETTINGS, max_examples=60)
@given(mutated_runs(), st.booleans(), st.booleans())
def test_mutated_runs_make_safe_tree_lines_in_every_tree_mode(
    document: Any, nested: bool, failed: bool
) -> None:
    """The display tree and every label the TUI draws, in each of its modes (t, f)."""
    from run_inspector.layout import display_layout
    from run_inspector.ui.labels import tree_label

    graph = everything_a_user_sees(body_of(document))
    if graph is None:
        return
    display = display_layout(graph, nested=nested, failed=failed)
    for key in display.order:
        label = tree_label(graph, display.items[key], query="a")
        assert not UNSAFE.search(label.plain), label.plain


async def show_in_app(body: bytes) -> None:
    """Mount the app on `body`, press through its modes and panes, and check what it shows."""
    from run_inspector.source import FileSource
    from run_inspector.ui.app import make_app

    app = make_app(FileSource(body, "property.json"))
    async with app.run_test(size=(100, 30)) as pilot:  # (animations are off: see the fixture)
        for _ in range(500):
            if app.header.problem is not None or app.graph is not None:
                break
            await pilot.pause(0.01)
        await pilot.pause()
        for key in ("j", "3", "5", "t", "f"):
            await pilot.press(key)
        await pilot.pause()
        assert app.is_running
        tree = app.run_tree
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            assert node is not None and not UNSAFE.search(str(node.label))
        graph = app.graph
        if graph is not None:
            executions = len(graph.run.executions or [])
            assert sum(len(state.executions) for state in graph.states.values()) == executions


@pytest.fixture
def no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("textual.constants.TEXTUAL_ANIMATIONS", "none")


@pytest.mark.usefixtures("no_animations")
@settings(SETTINGS, max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated_runs())
def test_mutated_runs_in_the_app(document: Any) -> None:
    """A handful of examples through the real app (each mount and its keys cost about a second)."""
    body = body_of(document)
    if has_run_object(body):
        asyncio.run(show_in_app(body))
