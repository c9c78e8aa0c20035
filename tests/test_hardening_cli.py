"""Issue 14 at the command line: settings that used to be checked for one source only."""

from __future__ import annotations

import io

import pytest

from run_inspector import cli
from run_inspector.config import is_loopback_host

from .helpers import FIXTURES


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), environ={}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1", "1e-400"])
@pytest.mark.parametrize(
    "source", [["--demo"], ["--demo", "--watch"], ["--file", str(FIXTURES / "failed_run.json"), "--watch"]]
)
def test_a_bad_interval_is_refused_for_every_source(source: list[str], value: str) -> None:
    """`--demo --interval inf` skipped the check and polled never again (a hang)."""
    code, out, err = invoke(*source, f"--interval={value}")
    assert (code, out) == (2, "")
    assert err == "run-inspector: --interval must be a positive number of seconds (e.g. --interval 2)\n"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LocalHost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost.", False),
        ("127.0.0.1.", False),
        ("localhost.localdomain", False),
        ("127.1", False),
        ("2130706433", False),
    ],
)
def test_only_literal_loopback_addresses_and_localhost_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
