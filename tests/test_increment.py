"""The step-wise, incremental parser gives exactly what `parse_run_response` gives.

Every result is compared with `parse_run_response` of the same body: equal models (and the
same `model_fields_set`), the same anomalies and size, or the same error. Then: reuse really
happens (the same objects, and only the changed elements validated), and anything odd goes to
the tolerant parser and forgets the reuse state. No timings: see `python -m benchmarks.increment`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate, mutate_executions, to_bytes
from run_inspector.errors import InvalidResponseError
from run_inspector.increment import IncrementalParser
from run_inspector.models import RUN_STATUSES, ParsedResponse, parse_run_response

from .helpers import FIXTURES, fixture_bytes
from .test_property import SEEDS, body_of, broken_bodies, json_values, mutate, mutated_runs, text

FIRSTS = ("fast", "stepped")


def expected(body: bytes | str) -> ParsedResponse | InvalidResponseError:
    try:
        return parse_run_response(body)
    except InvalidResponseError as error:
        return error


def assert_same(
    got: ParsedResponse | InvalidResponseError, want: ParsedResponse | InvalidResponseError
) -> None:
    if isinstance(want, InvalidResponseError) or isinstance(got, InvalidResponseError):
        assert type(got) is type(want)
        assert (got.message, got.hint) == (want.message, want.hint)  # type: ignore[union-attr]
        return
    assert got.size == want.size
    assert got.anomalies == want.anomalies
    assert got.response == want.response
    assert got.response.model_fields_set == want.response.model_fields_set
    assert got.response.model_extra == want.response.model_extra
    run, want_run = got.response.run, want.response.run
    assert run.model_fields_set == want_run.model_fields_set
    assert run.model_extra == want_run.model_extra
    assert [n.model_fields_set for n in run.nodes or []] == [n.model_fields_set for n in want_run.nodes or []]
    assert [e.model_extra for e in run.executions or []] == [e.model_extra for e in want_run.executions or []]
    assert list(got.response.run_context or {}) == list(want.response.run_context or {})
    assert list(got.response.run_computed_configs or {}) == list(want.response.run_computed_configs or {})


def parse_and_check(parser: IncrementalParser, body: bytes | str) -> ParsedResponse | None:
    """`parser.parse(body)`, checked against `parse_run_response(body)`."""
    want = expected(body)
    try:
        got: ParsedResponse | InvalidResponseError = parser.parse(body)
    except InvalidResponseError as error:
        got = error
    assert_same(got, want)
    return got if isinstance(got, ParsedResponse) else None


def small_run(seed: int = 1, nodes: int = 40, executions: int = 300) -> dict[str, Any]:
    return generate(nodes, executions, seed=seed)


def run_bytes(data: dict[str, Any]) -> bytes:
    return to_bytes(data)


# -- fixtures ------------------------------------------------------------------------------------

ALL_FIXTURES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json"))


@pytest.mark.parametrize("first", FIRSTS)
@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_parses_the_same_first_and_after_another_body(name: str, first: str) -> None:
    body = fixture_bytes(name)
    parse_and_check(IncrementalParser(first=first), body)  # type: ignore[arg-type]
    parser = IncrementalParser(first=first, batch_bytes=512)  # type: ignore[arg-type]
    parse_and_check(parser, fixture_bytes("failed_run.json"))
    parser.index()
    parse_and_check(parser, body)
    parse_and_check(parser, body)  # the same body again: all of it reused
    parse_and_check(parser, fixture_bytes("failed_run.json"))


def test_the_fixture_list_is_not_empty() -> None:
    assert "failed_run.json" in ALL_FIXTURES and "hostile_run.json" in ALL_FIXTURES
    assert any(name.startswith("child_runs/") for name in ALL_FIXTURES)


# -- successive bodies of a generated run --------------------------------------------------------


def successive_bodies(data: dict[str, Any]) -> list[bytes]:
    """A live run's bodies: each one a small change to the one before."""
    bodies = [run_bytes(data)]
    current = copy.deepcopy(data)

    def step(change: Any) -> None:
        change(current)
        bodies.append(run_bytes(current))

    def flip(d: dict[str, Any]) -> None:
        flipped, _ = mutate_executions(d, 0.03, seed=len(bodies))
        d["run"] = flipped["run"]

    def append(d: dict[str, Any]) -> None:
        executions = d["run"]["executions"]
        for n in range(5):
            extra = dict(executions[n * 7])
            extra["status"], extra["startedAt"] = "running", f"2026-11-21T00:00:0{n}.000Z"
            executions.append(extra)

    def insert_and_remove(d: dict[str, Any]) -> None:
        executions = d["run"]["executions"]
        executions.insert(len(executions) // 3, {**executions[0], "title": "inserted"})
        del executions[len(executions) // 2]
        del executions[len(executions) // 2]

    def node_config(d: dict[str, Any]) -> None:
        node = d["run"]["nodes"][3]
        node["config"] = {**(node.get("config") or {}), "changed": [1, {"deep": True}]}
        d["run"]["nodes"].insert(5, {**d["run"]["nodes"][4], "uuid": "a-new-node"})

    def context(d: dict[str, Any]) -> None:
        slug = next(iter(d["runContext"]))
        d["runContext"][slug] = {"answer": {"changed": True}}
        d["runContext"]["a-new-slug"] = [1, 2, 3]
        d["runComputedConfigs"].pop(next(iter(d["runComputedConfigs"])))

    def reorder_keys(d: dict[str, Any]) -> None:
        d["run"] = dict(reversed(list(d["run"].items())))
        executions = d["run"]["executions"]
        executions[1] = dict(reversed(list(executions[1].items())))
        moved = {"runContext": d.pop("runContext")}
        d.update(moved)

    def shuffle(d: dict[str, Any]) -> None:
        d["run"]["executions"].reverse()
        d["run"]["nodes"].reverse()

    def run_finishes(d: dict[str, Any]) -> None:
        d["run"]["status"] = "success"
        d["run"]["finishedAt"] = "2026-11-21T01:00:00.000Z"
        d["run"]["nodes"] = None
        d["runComputedConfigs"] = None

    for change in (
        flip,
        append,
        flip,
        insert_and_remove,
        node_config,
        context,
        reorder_keys,
        shuffle,
        run_finishes,
    ):
        step(change)
    return bodies


@pytest.mark.parametrize("first", FIRSTS)
def test_a_live_run_gives_the_same_models_at_every_poll(first: str) -> None:
    parser = IncrementalParser(first=first, batch_bytes=4096)  # type: ignore[arg-type]
    for number, body in enumerate(successive_bodies(small_run())):
        parse_and_check(parser, body)
        assert parser.stats.mode in (("fast", "stepped") if number == 0 else ("incremental",))


def test_a_medium_run_with_status_flips_and_appends() -> None:
    data = generate(300, 5000, seed=4)
    parser = IncrementalParser()
    parse_and_check(parser, run_bytes(data))
    assert parser.index()
    changed, _ = mutate_executions(data, 0.01)
    changed["run"]["executions"].extend(changed["run"]["executions"][-3:])
    parse_and_check(parser, run_bytes(changed))
    assert parser.stats.mode == "incremental"
    assert parser.stats.containers["executions"].validated == 50 + 3
    assert parser.stats.containers["nodes"].validated == 0


def test_formatting_and_text_escapes_do_not_matter() -> None:
    data = small_run(seed=2, executions=120)
    parser = IncrementalParser()
    parse_and_check(parser, run_bytes(data))
    parse_and_check(parser, json.dumps(data, indent=2).encode())  # every element changed
    parse_and_check(parser, json.dumps(data, indent="\t", ensure_ascii=True).encode())
    parse_and_check(parser, json.dumps(data, ensure_ascii=True))  # a str body
    parse_and_check(parser, b"\r\n \t" + run_bytes(data) + b" \n")


# -- reuse -----------------------------------------------------------------------------------------


def primed(data: dict[str, Any], **options: Any) -> tuple[IncrementalParser, ParsedResponse]:
    parser = IncrementalParser(**options)
    parsed = parse_and_check(parser, run_bytes(data))
    assert parsed is not None
    return parser, parsed


def executions_of(parsed: ParsedResponse | None) -> list[Any]:
    assert parsed is not None and parsed.response.run.executions is not None
    return parsed.response.run.executions


def test_unchanged_executions_are_the_same_objects_and_only_changed_ones_are_validated() -> None:
    data = small_run(executions=400)
    parser, before = primed(data)
    changed, _ = mutate_executions(data, 0.02)
    after = parse_and_check(parser, run_bytes(changed))
    differ = [
        i
        for i, (a, b) in enumerate(zip(data["run"]["executions"], changed["run"]["executions"], strict=True))
        if a != b
    ]
    assert len(differ) == 8
    assert parser.stats.mode == "incremental"
    assert parser.stats.validated == 8 and parser.stats.containers["executions"].validated == 8
    old, new = executions_of(before), executions_of(after)
    assert all((old[i] is new[i]) == (i not in differ) for i in range(len(old)))
    assert (
        after is not None and before.response.run.nodes is not None and after.response.run.nodes is not None
    )
    assert all(a is b for a, b in zip(before.response.run.nodes, after.response.run.nodes, strict=True))
    assert after.response.run_context is not None and before.response.run_context is not None
    assert all(after.response.run_context[k] is v for k, v in before.response.run_context.items())


def test_appended_executions_are_the_only_ones_validated() -> None:
    data = small_run(executions=200)
    parser, before = primed(data, first="stepped")
    grown = copy.deepcopy(data)
    grown["run"]["executions"] += [{**e, "status": "pending"} for e in grown["run"]["executions"][:7]]
    after = parse_and_check(parser, run_bytes(grown))
    assert parser.stats.containers["executions"].validated == 7
    assert parser.stats.containers["executions"].reused == 200
    assert all(a is b for a, b in zip(executions_of(before), executions_of(after)[:200], strict=True))


def test_an_insertion_or_a_removal_in_the_middle_reuses_everything_else() -> None:
    data = small_run(executions=200)
    parser, before = primed(data)
    inserted = copy.deepcopy(data)
    inserted["run"]["executions"].insert(80, {"nodeUuid": "new", "status": "running"})
    middle = parse_and_check(parser, run_bytes(inserted))
    stats = parser.stats.containers["executions"]
    assert (stats.validated, stats.reused + stats.moved) == (1, 200)
    assert executions_of(middle)[81] is executions_of(before)[80]

    removed = copy.deepcopy(inserted)
    del removed["run"]["executions"][120]
    del removed["run"]["executions"][10]
    after = parse_and_check(parser, run_bytes(removed))
    stats = parser.stats.containers["executions"]
    assert (stats.validated, stats.reused + stats.moved) == (0, 199)
    assert executions_of(after)[10] is executions_of(middle)[11]


def test_reordered_elements_are_found_by_their_text() -> None:
    data = small_run(executions=200)
    parser, before = primed(data)
    shuffled = copy.deepcopy(data)
    shuffled["run"]["executions"].reverse()
    after = parse_and_check(parser, run_bytes(shuffled))
    stats = parser.stats.containers["executions"]
    assert stats.lookups == 1 and stats.validated == 0
    assert all(a is b for a, b in zip(executions_of(before), reversed(executions_of(after)), strict=True))


def test_a_changed_node_config_or_output_is_validated_alone() -> None:
    data = small_run()
    parser, _before = primed(data)
    changed = copy.deepcopy(data)
    changed["run"]["nodes"][7]["config"]["added"] = "x"
    slug = list(changed["runContext"])[3]
    changed["runContext"][slug] = {"answer": 42}
    after = parse_and_check(parser, run_bytes(changed))
    assert after is not None
    containers = parser.stats.containers
    assert containers["nodes"].validated == 1 and containers["run_context"].validated == 1
    assert containers["executions"].validated == 0 and containers["run_computed_configs"].validated == 0
    assert after.response.output_of(slug) == {"answer": 42}


def test_index_runs_when_asked_or_before_the_next_parse() -> None:
    data = small_run(executions=100)
    changed, _ = mutate_executions(data, 0.05)
    for explicit in (True, False):
        parser, _ = primed(data)
        assert parser.stats.mode == "fast" and parser.has_state
        if explicit:
            assert parser.index()
            assert parser.index_stats.containers["executions"].elements == 100
        parse_and_check(parser, run_bytes(changed))
        assert parser.stats.mode == "incremental"
        assert parser.stats.containers["executions"].validated == 5


def test_steps_are_reported_and_batches_split_by_size() -> None:
    steps: list[tuple[str, float]] = []
    parser = IncrementalParser(
        first="stepped", batch_bytes=2000, on_step=lambda name, took: steps.append((name, took))
    )
    parse_and_check(parser, run_bytes(small_run(executions=100)))
    validations = [name for name, _ in steps if name.startswith("validate") and "executions" in name]
    assert len(validations) > 10  # ~700 bytes per execution, 2,000 bytes per batch
    assert parser.stats.steps == len(steps)
    assert parser.stats.longest_step == max(took for _, took in steps) > 0


# -- surprises: the tolerant parser, and the reuse state forgotten --------------------------------

BASE = fixture_bytes("failed_run.json")

MALFORMED = {
    "empty": b"",
    "html": b"<html><body>502</body></html>",
    "cut short": BASE[: len(BASE) // 2],
    "not an object": b"[1, 2]",
    "no run": b'{"runs": {}}',
    "run is a list": b'{"run": []}',
    "run is null": b'{"run": null}',
    "trailing comma": b'{"run": {"executions": [{}, ]}}',
    "missing element": b'{"run": {"executions": [, {}]}}',
    "text after": b'{"run": {}} {"run": {}}',
    "invalid utf-8": BASE.replace(b"Acme", b"Ac\xffme"),
    "lone surrogate": BASE.replace(b"Acme", b"\\ud800cme"),
    "control character": BASE.replace(b"Acme", b"Ac\x01me"),
    "bad field": b'{"run": {"executions": [{"nodeUuid": "a", "startedAt": "never"}]}}',
    "infinite number": b'{"run": {"executions": [{"creditsUsedCount": 1e400}, {"creditsUsedCount": NaN}]}}',
    "deeper than the JSON parser reads": b'{"run": {}, "runContext": {"x": ' + b"[" * 600 + b"]" * 600 + b"}}",
    "integer past int()": b'{"run": {}, "runContext": {"x": ' + b"7" * 5000 + b"}}",
    "bad element": b'{"run": {"executions": ["junk", {"nodeUuid": "a"}], "nodes": [null]}}',
    "nodes is an object": b'{"run": {"nodes": {"a": 1}}}',
    "context is a list": b'{"run": {}, "runContext": [1]}',
    "repeated run": b'{"run": {"uuid": "a"}, "run": {"uuid": "b"}}',
    "repeated executions": b'{"run": {"executions": [{}], "executions": []}}',
    "alias and name": b'{"run": {}, "runContext": {"a": 1}, "run_context": null}',
    "repeated slug": b'{"run": {}, "runContext": {"a": 1, "b": 2, "a": 3}}',
    "deep element": b'{"run": {"executions": [{"x": ' + b"[" * 300 + b"]" * 300 + b"}]}}",
    "deep output": b'{"run": {}, "runContext": {"x": ' + b"[" * 199 + b"]" * 199 + b"}}",
    "unterminated string": b'{"run": {"executions": [{"a": "b}]}}',
    "mismatched brackets": b'{"run": {"executions": [{"a": [1}]]}}',
}

UNUSUAL_BUT_FINE = {
    "repeated field in an execution": b'{"run": {"executions": [{"status": "a", "status": "b"}]}}',
    "repeated run field": b'{"run": {"status": "a", "uuid": "u", "status": "b"}}',
    "snake case names": b'{"run": {"record_title": "t"}, "run_context": {"a": 1}}',
    "huge numbers": b'{"run": {"executions": [{"creditsUsedCount": 1e300}]}, "runContext": {"a": 123456789012345678901234567890, "b": -0.0, "c": 1E2}}',
    "escaped keys": b'{"r\\u0075n": {"n\\u006fdes": [{"uuid": "\\u00e9"}]}, "runContext": {"\\u00e9": "\\n"}}',
    "nested but not too deep": b'{"run": {}, "runContext": {"x": ' + b"[" * 120 + b"]" * 120 + b"}}",
    "empty containers": b'{"run": {"nodes": [], "executions": [ ]}, "runContext": {}, "runComputedConfigs": { }}',
    "scalars in lists": b'{"run": {"nodes": null, "executions": []}, "runContext": {"a": 1, "b": "x", "c": true, "d": null}}',
    "unknown keys": b'{"run": {"new": {"x": [1]}, "executions": [{"nodeUuid": "a", "more": [1, {"b": 2}]}]}, "other": 1}',
    "braces in strings": b'{"run": {"executions": [{"title": "{[}] \\"{"}, {"title": "}"}]}}',
}


@pytest.mark.parametrize("first", FIRSTS)
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_bodies_get_the_tolerant_parsers_answer_and_reset(name: str, first: str) -> None:
    body = MALFORMED[name]
    parse_and_check(IncrementalParser(first=first), body)  # type: ignore[arg-type]
    parser = IncrementalParser(first=first)  # type: ignore[arg-type]
    parse_and_check(parser, BASE)
    parser.index()
    parse_and_check(parser, body)
    assert parser.stats.mode == "fallback" and not parser.has_state
    parse_and_check(parser, BASE)
    assert parser.stats.mode == first


@pytest.mark.parametrize("name", sorted(UNUSUAL_BUT_FINE))
def test_unusual_bodies_are_parsed_step_wise(name: str) -> None:
    parser = IncrementalParser(first="stepped", batch_bytes=16)
    parse_and_check(parser, UNUSUAL_BUT_FINE[name])
    assert parser.stats.mode == "stepped", parser.stats.surprise
    parse_and_check(parser, BASE)
    parse_and_check(parser, UNUSUAL_BUT_FINE[name])
    assert parser.stats.mode == "incremental"


def test_the_hostile_fixture_falls_back_and_still_matches() -> None:
    body = fixture_bytes("hostile_run.json")
    for first in FIRSTS:
        parser = IncrementalParser(first=first)  # type: ignore[arg-type]
        parse_and_check(parser, BASE)
        parsed = parse_and_check(parser, body)
        assert parsed is not None and parsed.anomalies  # the tolerant parser's notes
        assert parser.stats.mode == "fallback"


def test_the_parser_never_changes_the_results_it_handed_out() -> None:
    data = small_run(executions=50)
    parser, before = primed(data)
    snapshot = copy.deepcopy(before.response)
    executions_of(before).clear()  # a caller may do what it likes with its lists
    changed, _ = mutate_executions(data, 0.1)
    parse_and_check(parser, run_bytes(changed))
    assert len(executions_of(parse_and_check(parser, run_bytes(data)))) == 50
    assert before.response.run.nodes == snapshot.run.nodes


# -- the property ----------------------------------------------------------------------------------


@st.composite
def live_change(draw: st.DrawFn, document: Any) -> Any:
    """What a poll of a live run sees: statuses change, executions come, go and move, outputs
    and configs change; the run stays valid (unless it was not to begin with)."""
    document = copy.deepcopy(document)
    run = document.get("run") if isinstance(document, dict) else None
    if not isinstance(run, dict):
        return document
    for _ in range(draw(st.integers(1, 5))):
        executions = run.get("executions")
        nodes = run.get("nodes")
        operation = draw(
            st.sampled_from(
                ["status", "append", "insert", "delete", "move", "node", "context", "run", "reorder"]
            )
        )
        if operation in ("status", "append", "insert", "delete", "move"):
            if not isinstance(executions, list) or not executions:
                continue
            index = draw(st.integers(0, len(executions) - 1))
            execution = executions[index]
            status = draw(st.sampled_from([*RUN_STATUSES, "exploded"]))
            if operation == "status" and isinstance(execution, dict):
                execution["status"] = status
            elif operation in ("append", "insert") and isinstance(execution, dict):
                where = len(executions) if operation == "append" else draw(st.integers(0, len(executions)))
                executions.insert(where, {**execution, "status": status})
            elif operation == "delete":
                del executions[index]
            elif operation == "move":
                executions.insert(draw(st.integers(0, len(executions) - 1)), executions.pop(index))
        elif operation == "node" and isinstance(nodes, list) and nodes and isinstance(nodes[0], dict):
            node = nodes[draw(st.integers(0, len(nodes) - 1))]
            if isinstance(node, dict):
                node["config"] = {**(node.get("config") or {}), draw(text): draw(json_values)}
        elif operation == "context":
            key = draw(st.sampled_from(["runContext", "runComputedConfigs"]))
            values = document.get(key)
            if isinstance(values, dict):
                slug = draw(st.one_of(st.sampled_from(sorted(values) or ["x"]), text))
                if draw(st.booleans()) and values:
                    values.pop(slug, None)
                else:
                    values[slug] = draw(json_values)
        elif operation == "run":
            run[draw(st.sampled_from(["status", "recordTitle", "updatedAt", "newField"]))] = draw(text)
        elif operation == "reorder":
            items = list(run.items())
            run.clear()
            run.update(reversed(items))
    return document


@st.composite
def body_pairs(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """Two bodies a poll could see one after the other: mostly a live change, sometimes a
    hostile one, another run, or a broken body."""
    start = draw(st.sampled_from(["seed", "seed", "mutated"]))
    first_doc = copy.deepcopy(draw(st.sampled_from(SEEDS))) if start == "seed" else draw(mutated_runs())
    kind = draw(st.sampled_from(["live", "live", "live", "mutated", "other", "broken"]))
    if kind == "live":
        second = body_of(draw(live_change(first_doc)))
    elif kind == "mutated":
        second = body_of(mutate(draw(st.data()), copy.deepcopy(first_doc), draw(st.integers(1, 4))))
    elif kind == "other":
        second = body_of(draw(mutated_runs()))
    else:
        second = draw(broken_bodies())
    first = body_of(first_doc)
    if draw(st.integers(0, 9)) == 0:
        first, second = second, first
    return first, second


@settings(max_examples=300, deadline=None, derandomize=True)
@given(body_pairs(), st.sampled_from(FIRSTS), st.sampled_from([64, 100_000]), st.booleans())
def test_any_two_bodies_in_a_row_parse_as_parse_run_response_does(
    pair: tuple[bytes, bytes], first: str, batch_bytes: int, index: bool
) -> None:
    a, b = pair
    parser = IncrementalParser(first=first, batch_bytes=batch_bytes)  # type: ignore[arg-type]
    parse_and_check(parser, a)
    if index:
        parser.index()
    parse_and_check(parser, b)
    parse_and_check(parser, a)


def test_the_property_examples_see_real_changes() -> None:
    """The pairs above are mostly small changes of one run (so reuse is exercised)."""
    document = json.loads(Path(FIXTURES / "failed_run.json").read_text())
    parser = IncrementalParser()
    parse_and_check(parser, body_of(document))
    document["run"]["executions"][0]["status"] = "exploded"
    parse_and_check(parser, body_of(document))
    assert parser.stats.mode == "incremental" and parser.stats.validated == 1


def test_the_benchmark_script_runs_on_a_small_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m benchmarks.increment` keeps working (one repeat of each stage; no timings checked)."""
    from benchmarks import increment as bench

    monkeypatch.setitem(bench.REPEATS, "S", 1)
    monkeypatch.setitem(bench.THREAD_REPEATS, "S", 1)
    size, lines = bench.measure("S")
    assert size > 0
    stages = [line.stage for line in lines]
    assert "incremental parse, 1% changed" in stages and "thread: incremental parse, 1% changed" in stages
    assert all(bench.format_line(line).startswith(line.stage) for line in lines)
