"""Tolerant parsing: one bad field degrades that field only."""

from __future__ import annotations

import json

import pytest

from run_inspector.errors import InvalidResponseError
from run_inspector.models import MAX_DEPTH, parse_run_response

from .helpers import fixture_bytes


def test_fixture_parses_on_the_fast_path() -> None:
    parsed = parse_run_response(fixture_bytes("failed_run.json"))
    run = parsed.response.run
    assert parsed.anomalies == []
    assert run.record_title == "Acme Corp" and run.status == "error"
    assert run.nodes is not None and run.nodes[1].fallback_child_uuid == "n-notify"
    assert run.executions is not None and run.executions[1].credits_used_count == 1
    assert parsed.response.output_of("qualify") == {
        "answer": {"qualified": True, "score": 82, "reason": "B2B SaaS, 200 employees"}
    }


def test_unknown_fields_and_values_are_kept() -> None:
    body = {
        "run": {
            "uuid": "r",
            "status": "teleporting",
            "shinyNewField": {"a": 1},
            "nodes": [{"uuid": "n", "kind": "quantum", "childrenUuids": [None]}],
        }
    }
    parsed = parse_run_response(json.dumps(body))
    run = parsed.response.run
    assert run.status == "teleporting"
    assert run.model_extra == {"shinyNewField": {"a": 1}}
    assert run.nodes is not None and run.nodes[0].kind == "quantum" and run.nodes[0].children_uuids == [None]


def test_malformed_fields_degrade_alone_and_are_reported() -> None:
    body = {
        "run": {
            "uuid": "r",
            "status": "error",
            "createdAt": "yesterday-ish",
            "executions": [
                {
                    "nodeUuid": "a",
                    "startedAt": "not a date",
                    "creditsUsedCount": "3",
                    "status": "error",
                    "errorMessage": "kept",
                },
                {"nodeUuid": "b", "nodeChildIndex": "one"},
            ],
            "nodes": [{"uuid": "a", "childrenUuids": "oops"}],
        }
    }
    parsed = parse_run_response(json.dumps(body))
    run = parsed.response.run
    assert run.created_at is None
    assert run.executions is not None
    first, second = run.executions
    assert (first.started_at, first.credits_used_count, first.error_message) == (None, 3.0, "kept")
    assert (second.node_uuid, second.node_child_index) == ("b", None)
    assert run.nodes is not None and run.nodes[0].children_uuids is None
    paths = sorted(a.path or "" for a in parsed.anomalies)
    assert paths == [
        "run.createdAt",
        "run.executions[0].startedAt",
        "run.executions[1].nodeChildIndex",
        "run.nodes[0].childrenUuids",
    ]


def test_non_object_items_are_counted_not_dropped() -> None:
    parsed = parse_run_response(json.dumps({"run": {"executions": ["junk", {"nodeUuid": "a"}]}}))
    assert parsed.response.run.executions is not None and len(parsed.response.run.executions) == 2
    assert [a.path for a in parsed.anomalies] == ["run.executions[0]"]


def test_deep_nesting_falls_back_to_the_tolerant_path() -> None:
    deep: dict[str, object] = {}
    cursor = deep
    for _ in range(500):
        cursor["a"] = {}
        cursor = cursor["a"]  # type: ignore[assignment]
    body = json.dumps({"run": {"uuid": "r", "nodes": [{"uuid": "n", "config": deep}]}})
    parsed = parse_run_response(body)
    assert parsed.response.run.nodes is not None and parsed.response.run.nodes[0].config == deep


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty"),
        (b"<html><body>502 Bad Gateway</body></html>", "HTML"),
        (b'{"run": {"uuid": "r"', "not JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"runs": []}', "no 'run' object"),
        (b'{"run": "r"}', "no 'run' object"),
    ],
)
def test_only_a_body_without_a_run_object_is_rejected(body: bytes, words: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        parse_run_response(body)
    assert words in caught.value.message
    assert "\n" not in caught.value.one_line()


# -- valid JSON that an interpreter limit used to refuse (issue 14) ----------------------------------


def _with_unknown(value: bytes) -> bytes:
    return b'{"run": {"uuid": "r", "status": "success", "nodes": [{"uuid": "n"}]}, "zzz": ' + value + b"}"


def _nested(levels: int) -> bytes:
    return b"[" * levels + b"1" + b"]" * levels


@pytest.mark.parametrize("levels", [990, 5_000, 100_000])
def test_a_value_nested_past_any_limit_is_cut_and_the_run_shown(levels: int) -> None:
    """`json.loads` takes 990 levels, but not from a deep stack, and not 5,000: no limit of the
    interpreter decides whether a run can be shown."""
    parsed = parse_run_response(_with_unknown(_nested(levels)))
    assert parsed.response.run.uuid == "r"
    value = parsed.response.model_extra["zzz"] if parsed.response.model_extra else None
    depth = 1  # the response object itself
    while isinstance(value, list):
        depth, value = depth + 1, value[0]
    assert depth == MAX_DEPTH and value == f"\u2026 {levels + 1 - MAX_DEPTH} more levels"
    assert [a.kind for a in parsed.anomalies] == ["too-deep"]


def test_a_deep_value_in_a_node_config_is_cut_there_and_the_rest_kept() -> None:
    body = json.dumps({"run": {"uuid": "r", "nodes": [{"uuid": "n", "slug": "s", "config": {"x": 0}}]}}).encode()
    body = body.replace(b'{"x": 0}', b'{"x": ' + _nested(990) + b', "y": 2}')
    parsed = parse_run_response(body)
    node = (parsed.response.run.nodes or [])[0]
    assert node.slug == "s" and node.config is not None and node.config["y"] == 2
    assert "too-deep" in [a.kind for a in parsed.anomalies]


def test_a_body_nested_too_deep_and_cut_short_is_said_to_be_cut_short() -> None:
    with pytest.raises(InvalidResponseError) as caught:
        parse_run_response(_with_unknown(b"[" * 5_000)[:-1])
    assert "before the JSON is complete" in caught.value.message


@pytest.mark.parametrize("digits", [4_301, 5_000, 100_000])
def test_an_integer_past_int_is_kept_as_text_and_flagged(digits: int) -> None:
    parsed = parse_run_response(_with_unknown(b"-" + b"7" * digits))
    assert parsed.response.model_extra == {"zzz": "-" + "7" * digits}
    assert [a.kind for a in parsed.anomalies] == ["huge-number"]
    assert f"{digits:,} digits" in parsed.anomalies[0].message


@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"7" * 5_000])
def test_a_number_field_that_is_not_finite_is_dropped_and_reported(value: bytes) -> None:
    body = b'{"run": {"uuid": "r", "executions": [{"nodeUuid": "n", "creditsUsedCount": ' + value + b"}]}}"
    parsed = parse_run_response(body)
    execution = (parsed.response.run.executions or [])[0]
    assert execution.node_uuid == "n" and execution.credits_used_count is None
    assert any(
        a.kind == "malformed-field" and a.path == "run.executions[0].creditsUsedCount" for a in parsed.anomalies
    )


def test_the_fast_path_is_taken_by_an_ordinary_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks above cost nothing on the fast path: no tolerant parse, no anomaly."""
    from run_inspector import models

    def refuse(data: object) -> None:
        raise AssertionError("the tolerant path was taken")

    monkeypatch.setattr(models, "validate_tolerantly", refuse)
    assert parse_run_response(fixture_bytes("failed_run.json")).anomalies == []


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00", "9999-12-31T12:00:00Z"]
)
def test_a_time_no_view_can_convert_is_dropped_and_reported(moment: str) -> None:
    """Valid ISO times at the ends of `datetime`'s range overflow when moved to UTC or local
    time: `--print` ended 'internal error: OverflowError'."""
    body = json.dumps(
        {"run": {"uuid": "r", "createdAt": moment, "executions": [{"nodeUuid": "n", "startedAt": moment}]}}
    ).encode()
    parsed = parse_run_response(body)
    assert parsed.response.run.created_at is None
    assert (parsed.response.run.executions or [])[0].started_at is None
    assert {a.path for a in parsed.anomalies} == {"run.createdAt", "run.executions[0].startedAt"}


def test_times_inside_the_range_are_kept() -> None:
    for moment in ("0001-01-02T12:00:00+05:00", "9999-12-29T00:00:00Z", "2026-11-20T09:00:00"):
        parsed = parse_run_response(json.dumps({"run": {"uuid": "r", "createdAt": moment}}).encode())
        assert parsed.response.run.created_at is not None and parsed.anomalies == []
