"""Issue 14, hostile JSON that is valid: deep nesting, huge integers and numbers that are not
finite go through `--print`, `--json` and the poller; `--json` itself is always strict JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from run_inspector import cli
from run_inspector.increment import IncrementalParser
from run_inspector.models import parse_run_response

from .helpers import execution, fixture_bytes, node, run_of

BODY = fixture_bytes("failed_run.json")


def run_file(tmp_path: Path, body: bytes, *mode: str) -> tuple[int, str, str]:
    path = tmp_path / "run.json"
    path.write_bytes(body)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--file", str(path), *mode], environ={}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


HOSTILE_BODIES = {
    "990 levels under an unknown key": BODY[:-2] + b', "zzz": ' + b"[" * 990 + b"]" * 990 + b"}\n",
    "100,000 levels under an unknown key": BODY[:-2] + b', "zzz": ' + b"{\"a\":" * 100_000 + b"1" + b"}" * 100_000 + b"}\n",
    "990 levels in the output": BODY.replace(b'"runContext": {', b'"runContext": {"deep": ' + b"[" * 990 + b"]" * 990 + b", ", 1),
    "a 5,000-digit integer": BODY[:-2] + b', "zzz": ' + b"9" * 5_000 + b"}\n",
    "a 5,000-digit credit count": BODY.replace(b'"creditsUsedCount": 0', b'"creditsUsedCount": ' + b"9" * 5_000, 1),
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_valid_json_past_an_interpreter_limit_is_shown(tmp_path: Path, name: str) -> None:
    """Before: 'the response is not JSON' for every one of these."""
    body = HOSTILE_BODIES[name]
    assert body != BODY
    code, printed, err = run_file(tmp_path, body, "--print")
    assert (code, err) == (0, "") and "Acme Corp" in printed and "Anomalies" in printed
    code, out, err = run_file(tmp_path, body, "--json")
    assert (code, err) == (0, "")
    summary = strict_json(out)
    assert summary["run"]["uuid"] == "run-failed-0001"
    assert {"too-deep", "huge-number"} & {a["kind"] for a in summary["anomalies"]}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_the_poller_s_parser_agrees_on_them(name: str) -> None:
    """The incremental parser falls back to the tolerant one, with the same answer."""
    body = HOSTILE_BODIES[name]
    expected = parse_run_response(body)
    for first in ("fast", "stepped"):
        parser = IncrementalParser(first=first)  # type: ignore[arg-type]
        parser.parse(BODY)
        got = parser.parse(body)
        assert got.response == expected.response and got.anomalies == expected.anomalies


@pytest.mark.parametrize("credits", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_json_never_prints_nan_or_infinity(tmp_path: Path, credits: bytes) -> None:
    body = BODY.replace(b'"creditsUsedCount": 0', b'"creditsUsedCount": ' + credits)
    assert body != BODY
    code, out, _ = run_file(tmp_path, body, "--json")
    summary = strict_json(out)
    assert code == 0 and all(n["credits"] is None or n["credits"] == n["credits"] for n in summary["nodes"])
    assert any(a["path"].endswith("creditsUsedCount") for a in summary["anomalies"])


def test_credits_that_add_up_past_a_float_are_null_and_flagged(tmp_path: Path) -> None:
    data = run_of(
        [node("start", "start", ["a"]), node("a", "call")],
        [execution("start"), execution("a", creditsUsedCount=1e308), execution("a", creditsUsedCount=1e308)],
    )
    code, out, _ = run_file(tmp_path, json.dumps(data).encode(), "--json")
    summary = strict_json(out)
    assert code == 0 and summary["run"]["credits"] is None
    assert {a["path"] for a in summary["anomalies"] if a["kind"] == "non-finite-number"} == {
        "run.credits",
        "nodes[1].credits",
    }


async def test_a_bundle_with_a_huge_integer_or_a_deep_value_keeps_its_child_runs() -> None:
    """`FileSource.children` read the bundle with `json.loads`: one such value in any run, and
    every child run was 'not in the bundle'."""
    from run_inspector.source import BUNDLE_KEY, FileSource

    child = fixture_bytes("child_runs/run-child-1.json")
    for hostile in (b"9" * 5_000, b"[" * 5_000 + b"]" * 5_000):
        bundle = BODY[:-2] + b', "zzz": ' + hostile + b', "' + BUNDLE_KEY.encode() + b'": {"version": 1, "runs": {"run-child-1": ' + child + b"}}}"
        source = FileSource(bundle, "bundle.json")
        assert parse_run_response(await source.fetch_bytes("run-child-1")).response.run.uuid == "run-child-1"


@pytest.mark.parametrize("mode", ["--print", "--json"])
def test_a_run_timed_at_the_end_of_time_is_shown(tmp_path: Path, mode: str) -> None:
    body = BODY.replace(b'"finishedAt": "2026', b'"finishedAt": "9999-12-31T23:59:59-23:59", "x": "2026', 1)
    assert body != BODY
    code, out, err = run_file(tmp_path, body, mode)
    assert (code, err) == (0, "") and "Acme Corp" in out
