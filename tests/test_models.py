"""Tolerant parsing: one bad field degrades that field only."""

from __future__ import annotations

import json

import pytest

from run_inspector.errors import InvalidResponseError
from run_inspector.models import parse_run_response

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
