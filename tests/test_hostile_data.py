"""Hostile data through --print, --json and --watch: shown literally, flagged, nothing lost.

The run in `fixtures/hostile_run.json` (built by `fixtures/make_hostile.py`) packs every
hostile case at once: text that tries to drive the terminal or the markup parser, broken
graphs, and fields that are missing, null, of the wrong type, huge or deeply nested. Each
case is asserted by name, so a failure says which case broke.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from run_inspector import cli
from run_inspector.findings import compute_findings
from run_inspector.graph import RunGraph
from run_inspector.layout import node_order
from run_inspector.models import parse_run_response
from run_inspector.render_json import dumps
from run_inspector.sanitize import one_line
from run_inspector.why import explain, explain_run

from .fixtures.make_hostile import (
    DEEP_CONFIG_NODE,
    DEEP_LEVELS,
    FIELD_CASES,
    GRAPH_CASES,
    HOSTILE_TEXTS,
    HUGE_ERROR_NODE,
    HUGE_LENGTH,
    MANY_CHILDREN,
    MANY_CHILDREN_NODE,
    MARKUP_CASES,
    RUN_UUID,
    build,
    with_many_children,
)
from .helpers import FIXTURES, execution, graph_of, node, run_of

HOSTILE = FIXTURES / "hostile_run.json"

UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What must never reach a terminal: C0 (but newline), DEL, C1, bidi overrides, surrogates."""

HIDDEN_PAYLOADS = ["PWNED-TITLE", "cm0gLXJmIH4=", "544e", "STATUS-TITLE", "WF-TITLE", "CHILD-RUN", "DEEP"]
"""The insides of escape sequences (window titles, clipboard data, queries): never shown."""


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), environ={}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(HOSTILE.read_bytes())
    return data


@pytest.fixture(scope="module")
def printed() -> str:
    code, out, err = invoke("--file", str(HOSTILE), "--print")
    assert (code, err) == (0, "")
    return out


@pytest.fixture(scope="module")
def dumped() -> tuple[str, dict[str, Any]]:
    code, out, err = invoke("--file", str(HOSTILE), "--json")
    assert (code, err) == (0, "")
    return out, json.loads(out)


@pytest.fixture(scope="module")
def graph() -> RunGraph:
    return RunGraph.build(parse_run_response(HOSTILE.read_bytes()))


def unsafe_in(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in UNSAFE.findall(text)})


# -- the fixture is what the generator makes ---------------------------------------------------


def test_the_fixture_is_reproducible_and_small_enough() -> None:
    assert json.loads(HOSTILE.read_bytes()) == json.loads(json.dumps(build()))
    assert HOSTILE.stat().st_size < 2_000_000


# -- --print ------------------------------------------------------------------------------------


def test_print_sends_no_control_character(printed: str) -> None:
    assert unsafe_in(printed) == []
    assert "\x1b" not in printed and "\x07" not in printed and "\x00" not in printed


@pytest.mark.parametrize("name", MARKUP_CASES)
def test_print_shows_markup_literally(printed: str, name: str) -> None:
    assert HOSTILE_TEXTS[name] in printed


@pytest.mark.parametrize("name", list(HOSTILE_TEXTS))
def test_print_shows_each_hostile_name_made_safe(printed: str, name: str) -> None:
    """The node's name as a tree label: cut to 60 characters, escapes gone, controls visible."""
    assert one_line(HOSTILE_TEXTS[name], 60) in printed


def test_print_keeps_the_visible_part_and_drops_the_payload_of_escapes(printed: str) -> None:
    for visible in ("beforeafter", "upandaway", "eightbit", "title-st", "clipboard", "hyperlink", "dcs"):
        assert visible in printed, visible
    for payload in HIDDEN_PAYLOADS:
        assert payload not in printed, payload
    assert "ring␇ring" in printed and "nul␀byte" in printed and "back␈space␡del" in printed
    assert "â€\ufffd quoted text stays" in printed  # a stray C1 does not swallow the rest
    assert "全角文字のテスト" in printed
    # A ZWJ sequence is broken into its emoji, so every terminal draws the width Rich counts.
    assert "👨👩👧" in printed and "\u200d" not in printed


def test_print_shows_the_unknown_status_and_the_hostile_route_names_safely(printed: str) -> None:
    assert "? [@click=app.quit]weird[/] Unknown kind and status" in printed  # the last status
    assert "has the status “exploded”" in printed  # the first one, in the anomalies
    assert "[[@click=app.quit]click to quit[/]]  ← taken" in printed  # a switch route's name


def test_print_cuts_huge_strings(printed: str) -> None:
    assert max(len(line) for line in printed.splitlines()) < 1_000
    assert "more lines (see --json)" in printed
    assert len(printed) < 100_000


def test_print_lists_every_anomaly(printed: str, graph: RunGraph) -> None:
    assert f"Anomalies ({len(graph.anomalies)})" in printed


# -- --json -------------------------------------------------------------------------------------


def test_json_is_ascii_and_valid(dumped: tuple[str, dict[str, Any]]) -> None:
    text, data = dumped
    assert text.isascii() and unsafe_in(text) == []
    assert data["run"]["uuid"] == RUN_UUID


@pytest.mark.parametrize("name", list(HOSTILE_TEXTS))
def test_json_gives_back_the_exact_hostile_strings(dumped: tuple[str, dict[str, Any]], name: str) -> None:
    text = HOSTILE_TEXTS[name]
    node = next(n for n in dumped[1]["nodes"] if n["uuid"] == f"t-{name}")
    assert node["name"] == text
    assert node["slug"] == f"{name}:{text}"
    assert node["error"] == f"{name}: {text}"
    assert node["attempts"] == 2 and node["status"] == "success"


def test_json_keeps_the_run_text_and_the_huge_error_in_full(dumped: tuple[str, dict[str, Any]]) -> None:
    data = dumped[1]
    source = raw()["run"]
    assert data["run"]["recordTitle"] == source["recordTitle"]
    assert data["run"]["errorMessage"] == source["errorMessage"]
    assert data["run"]["workflowUuid"] == source["workflowUuid"]
    huge = next(n for n in data["nodes"] if n["uuid"] == HUGE_ERROR_NODE)
    assert len(huge["error"]) == HUGE_LENGTH and huge["error"].endswith("END-OF-HUGE-ERROR")


def test_json_counts_every_execution(dumped: tuple[str, dict[str, Any]]) -> None:
    data = dumped[1]
    count = len(raw()["run"]["executions"])
    assert data["run"]["executions"] == count
    assert sum(n["attempts"] for n in data["nodes"]) == count


# -- the graph: nothing dropped, every anomaly flagged ------------------------------------------


def test_every_execution_is_accounted_for(graph: RunGraph) -> None:
    source = raw()["run"]["executions"]
    assert len(graph.run.executions or []) == len(source)
    assert sum(len(state.executions) for state in graph.states.values()) == len(source)


def test_every_node_is_kept(graph: RunGraph) -> None:
    nodes = raw()["run"]["nodes"]
    top_level = [
        uuid for uuid, state in graph.states.items() if state.scope is None and state.node is not None
    ]
    assert len(top_level) == len(nodes)


@pytest.mark.parametrize("case", list(GRAPH_CASES))
def test_graph_case_is_flagged(graph: RunGraph, dumped: tuple[str, dict[str, Any]], case: str) -> None:
    kind, node_uuid = GRAPH_CASES[case]
    flagged = [a for a in graph.anomalies if a.kind == kind]
    assert flagged, f"{case}: no {kind} anomaly"
    if node_uuid is not None:
        assert node_uuid in {a.node_uuid for a in flagged}, case
    assert kind in {a["kind"] for a in dumped[1]["anomalies"]}


@pytest.mark.parametrize("case", [c for c, (path, _) in FIELD_CASES.items() if path])
def test_malformed_field_is_flagged_and_the_run_still_read(graph: RunGraph, case: str) -> None:
    path = FIELD_CASES[case][0]
    assert any(a.kind == "malformed-field" and re.fullmatch(path, a.path or "") for a in graph.anomalies), (
        case
    )


def test_missing_and_null_fields_are_read_as_absent(graph: RunGraph, printed: str) -> None:
    assert graph.states["f-bare"].node is not None and graph.states["f-bare"].attempts == 1
    assert graph.states["f-null"].node is not None and graph.states["f-null"].attempts == 1
    assert "f-bare" in printed and "f-null" in printed


def test_unknown_fields_are_kept(graph: RunGraph) -> None:
    assert graph.run.model_extra == {"somethingNew": {"future": [1, 2, 3]}}
    assert (graph.states["f-wrong"].node.model_extra or {}).get("unknownField") == {"kept": True}  # type: ignore[union-attr]


def test_deep_config_output_and_input_are_readable(graph: RunGraph) -> None:
    state = graph.states[DEEP_CONFIG_NODE]
    value: Any = (state.node.config or {})["deep"] if state.node is not None else None
    depth = 0
    while isinstance(value, (dict, list)) and value:
        depth += 1
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
    assert depth == DEEP_LEVELS
    report = explain(graph, DEEP_CONFIG_NODE)
    assert report.output == graph.output_of(DEEP_CONFIG_NODE) and report.resolved_input is not None
    assert report.upstream_reads and report.upstream_reads[0].note  # the missing path is explained


def test_why_explains_every_node(graph: RunGraph) -> None:
    findings = compute_findings(graph)
    for uuid in graph.states:
        explain(graph, uuid, findings=findings)
    assert explain_run(graph, findings) is not None


def test_a_child_missing_from_the_graph_but_run_is_listed_once() -> None:
    """Found by the property test: it was shown in the tree and again under unknown nodes,
    so --json listed it twice and counted its executions twice."""
    data = run_of([node("start", "start", ["gone"])], [execution("start"), execution("gone", "error")])
    graph = graph_of(data)
    assert node_order(graph).count("gone") == 1
    summary = json.loads(dumps(graph))
    assert [n["uuid"] for n in summary["nodes"]].count("gone") == 1
    assert sum(n["attempts"] for n in summary["nodes"]) == 2
    assert "unknown-node" in {a.kind for a in graph.anomalies}


def test_a_body_that_is_not_utf8_is_read_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(
        json.dumps(run_of([node("start", "start")], [execution("start")]))
        .encode()
        .replace(b'"run-1"', b'"run-\xe9t\xe9"')
    )
    code, out, err = invoke("--file", str(path), "--print")
    assert (code, err) == (0, "") and "run-\ufffdt\ufffd" in out
    assert "the response is not valid UTF-8" in out  # in the Anomalies section


# -- --watch over a file ------------------------------------------------------------------------


def test_watch_shows_the_hostile_run_safely() -> None:
    code, out, err = invoke("--file", str(HOSTILE), "--watch")
    assert (code, err) == (0, "")
    assert unsafe_in(out) == [] and "ended error" in out
    for payload in HIDDEN_PAYLOADS:
        assert payload not in out, payload


# -- a real process, a real stdout ---------------------------------------------------------------


def test_a_real_process_prints_the_hostile_run_safely() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "run_inspector", "--file", str(HOSTILE), "--print"],
        capture_output=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, b"")
    for byte in (b"\x1b", b"\x07", b"\x00", b"\x9b", b"\xc2\x9b", b"\xc2\x9d", b"\xe2\x80\xae"):
        assert byte not in result.stdout, byte
    text = result.stdout.decode("utf-8")  # strict: the lone surrogate did not break the encoding
    assert HOSTILE_TEXTS["markup-click-quit"] in text


# -- size: huge strings, 10,000 children, 500 levels ---------------------------------------------


@pytest.fixture(scope="module")
def many_children_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("many") / "many_children.json"
    path.write_text(json.dumps(with_many_children(build())))
    return path


@pytest.mark.parametrize("mode", ["--print", "--json"])
def test_ten_thousand_children_finish_in_bounded_time(many_children_file: Path, mode: str) -> None:
    started = time.monotonic()
    code, out, err = invoke("--file", str(many_children_file), mode)
    elapsed = time.monotonic() - started
    assert (code, err) == (0, "")
    assert elapsed < 20, f"{mode} took {elapsed:.1f} s"
    assert unsafe_in(out) == []
    if mode == "--json":
        data = json.loads(out)
        hub = next(n for n in data["nodes"] if n["uuid"] == MANY_CHILDREN_NODE)
        assert len(hub["children"]) == MANY_CHILDREN
        total = len(with_many_children(build())["run"]["executions"])
        assert data["run"]["executions"] == total == sum(n["attempts"] for n in data["nodes"])
    else:
        assert out.count("✔ success       child kid-") == MANY_CHILDREN
