"""Issue 15, item 13, in the headless modes: `--watch` says what failed, `--fail-on-findings`,
and a closed pipe (`… | head`) ends quietly with 0."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest

from run_inspector import cli
from run_inspector.source import RunSource
from run_inspector.watch import ERROR_LIMIT, Watcher

from .helpers import FIXTURES, execution, node, run_of

NODES = [node("start", "start", ["enrich"]), node("enrich", "call", ["end"]), node("end", "end")]
LIMIT = 60.0
"""The most a process here may take (it takes about a second)."""


def step(status: str, *executions: dict[str, Any], **extra: Any) -> bytes:
    data = run_of(NODES, list(executions), status=status, **extra)
    if status in ("pending", "running"):
        data["run"]["finishedAt"] = None
    return json.dumps(data).encode()


class Steps(RunSource):
    """A live run that moves one step on each fetch (the last one repeats)."""

    live = True
    description = "steps"

    def __init__(self, *bodies: bytes) -> None:
        self.bodies = list(bodies)
        self.root_uuid = "run-1"

    async def fetch_bytes(self, run_uuid: str) -> bytes:
        return self.bodies.pop(0) if len(self.bodies) > 1 else self.bodies[0]


async def watched(*bodies: bytes) -> list[str]:
    """The lines `--watch` prints, without their time."""
    out, err = io.StringIO(), io.StringIO()
    await Watcher(Steps(*bodies), "run-1", out, err, interval=0.001).run()
    assert err.getvalue() == ""
    return [line.split(" ", 1)[1] for line in out.getvalue().splitlines()[:-1]]


# -- the error on one line ------------------------------------------------------------------------


async def test_a_node_that_fails_has_its_error_on_the_next_line() -> None:
    lines = await watched(
        step("running", execution("start")),
        step("running", execution("start"), execution("enrich", "error", errorMessage="Clearbit 503")),
        step("error", execution("start"), execution("enrich", "error", errorMessage="Clearbit 503"),
             errorMessage="Node enrich failed: Clearbit 503"),
    )
    assert lines == [
        "● run — → running",
        "✖ enrich not reached → error",
        "  ↳ enrich: Clearbit 503",
        "✖ run running → error",
        "  ↳ run: Node enrich failed: Clearbit 503",
    ]


async def test_each_failed_attempt_says_its_own_error_and_the_node_its_last() -> None:
    first = execution("enrich", "error", errorMessage="timeout after 30 s")
    second = execution("enrich", "error", errorMessage="429 Too Many Requests")
    lines = await watched(
        step("running", execution("start"), execution("enrich", "running")),
        step("running", execution("start"), first, execution("enrich", "running")),
        step("error", execution("start"), first, second),
    )
    assert lines == [
        "● run — → running",
        "✖ enrich (attempt 1) running → error",
        "  ↳ enrich: timeout after 30 s",
        "✖ enrich running → error",
        "  ↳ enrich: 429 Too Many Requests",
        "✖ run running → error",  # its error is the node's, said already
    ]


async def test_the_same_error_is_said_once_for_the_last_attempt_and_its_node() -> None:
    failed = execution("enrich", "error", errorMessage="boom")
    lines = await watched(
        step("running", execution("start"), execution("enrich", "running")),
        step("running", execution("start"), failed, failed),
        step("error", execution("start"), failed, failed),
    )
    assert lines.count("  ↳ enrich: boom") == 1


async def test_the_error_is_made_safe_and_cut_to_one_line() -> None:
    hostile = "\x1b]0;PWNED\x07bad [bold]thing[/bold]\nsecond line\x1b[2J " + "x" * 1000
    lines = await watched(
        step("running", execution("start")),
        step("error", execution("start"), execution("enrich", "error", errorMessage=hostile)),
    )
    said = next(line for line in lines if line.startswith("  ↳ enrich: "))
    error = said.removeprefix("  ↳ enrich: ")
    assert error.startswith("bad [bold]thing[/bold] ⏎ second line ") and error.endswith("…")
    assert len(error) == ERROR_LIMIT and "\x1b" not in said and "PWNED" not in said


async def test_a_run_seen_only_once_failed_says_the_first_failed_node_s_error() -> None:
    lines = await watched(step("error", execution("start"), execution("enrich", "error", errorMessage="HubSpot 400")))
    assert lines == ["✖ run — → error", "  ↳ enrich: HubSpot 400"]


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), environ={}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_watch_of_a_failed_file_ends_with_the_run_s_error() -> None:
    code, out, err = invoke("--file", str(FIXTURES / "failed_run.json"), "--watch")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[1].split(" ", 1)[1] == (
        '  ↳ run: Node sync_crm failed: HubSpot 400: Property "lifecyclestage" [/] has an invalid value '
        "[bold]lead[/bold]"
    )


# -- --fail-on-findings ---------------------------------------------------------------------------

WRONG_PATH = str(FIXTURES / "findings_wrong_path.json")  # succeeded; an error-severity finding
RETRIES = str(FIXTURES / "findings_retries.json")  # succeeded; info findings only
FAILED = str(FIXTURES / "failed_run.json")
SAID = (
    "run-inspector: the run ended success but has 1 error-severity finding: is_qualified: took `no` on "
    "a missing value: its config.condition reads `nodes.qualify.qualified`, a path that does not exist "
    "in the output of Qualify lead (--fail-on-findings; see them with --print)\n"
)


@pytest.mark.parametrize("mode", ["--print", "--json", "--watch"])
def test_error_findings_fail_a_run_that_succeeded_only_when_asked(mode: str) -> None:
    assert invoke("--file", WRONG_PATH, mode, "--exit-status")[::2] == (0, "")
    code, out, err = invoke("--file", WRONG_PATH, mode, "--fail-on-findings")
    assert (code, err) == (1, SAID) and out
    assert invoke("--file", RETRIES, mode, "--fail-on-findings")[::2] == (0, "")


@pytest.mark.parametrize("mode", ["--print", "--json", "--watch"])
def test_fail_on_findings_fails_a_failed_run_too(mode: str) -> None:
    assert invoke("--file", FAILED, mode, "--fail-on-findings")[::2] == (1, "")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--file", WRONG_PATH, "--fail-on-findings"], "--fail-on-findings works with --print, --json or --watch"),
        (["--demo", "--workflow", "--print", "--fail-on-findings"], "--fail-on-findings is about one run"),
    ],
)
def test_fail_on_findings_needs_a_headless_mode_and_one_run(argv: list[str], said: str) -> None:
    code, out, err = invoke(*argv)
    assert (code, out) == (2, "") and err.startswith(f"run-inspector: {said}")


# -- a closed pipe --------------------------------------------------------------------------------


def reader_goes_away(argv: list[str], lines: int) -> tuple[int, bytes]:
    """Run the CLI with stdout a pipe whose reader closes it after `lines` lines (0: at once)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "run_inspector", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    for _ in range(lines):
        assert process.stdout.readline()
    process.stdout.close()
    try:
        err = process.stderr.read()
        return process.wait(LIMIT), err
    finally:
        process.kill()


def test_watch_into_head_exits_0_quietly() -> None:
    """`run-inspector --demo --watch | head -2` exited 1, the code that says the run failed."""
    assert reader_goes_away(["--demo", "--watch", "--interval", "0.2"], 2) == (0, b"")


@pytest.mark.parametrize("mode", ["--print", "--json"])
@pytest.mark.parametrize("lines", [0, 1])
def test_one_shot_into_a_closed_pipe_exits_0_quietly(mode: str, lines: int) -> None:
    """Nothing at exit either: no "Exception ignored … BrokenPipeError", no exit 120."""
    argv = ["--file", str(FIXTURES / "hostile_run.json"), mode]
    assert reader_goes_away(argv, lines) == (0, b"")
