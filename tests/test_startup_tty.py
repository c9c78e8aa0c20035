"""Issue 15, item 12: the TUI without a terminal. Real processes on a pseudo-terminal (`pty`),
with the run's file on stdin or stdin not a terminal; each bounded by a timeout, so a hang (the
TUI's input thread spinning on a stdin at end of file) fails the test instead of stalling it."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import FIXTURES

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals")

FAILED = FIXTURES / "failed_run.json"
NO_TERMINAL = "run-inspector: no terminal: use --print, --json or --watch"
LIMIT = 60.0
"""The most any of these may take; they take well under a second when they work."""


class Terminal:
    """A pseudo-terminal: `slave` for the child's stdout and stderr (and, with `controlling`,
    its controlling terminal, so that it can open /dev/tty), `master` to read the screen and type."""

    def __init__(self) -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.screen = b""

    def start(self, argv: list[str], stdin: Any, *, controlling: bool) -> subprocess.Popen[bytes]:
        def take_the_terminal() -> None:  # in the child, a new session's leader (start_new_session)
            import fcntl
            import termios

            fcntl.ioctl(1, termios.TIOCSCTTY, 0)

        process = subprocess.Popen(
            [sys.executable, "-m", "run_inspector", *argv],
            stdin=stdin,
            stdout=self.slave,
            stderr=self.slave,
            start_new_session=True,  # no controlling terminal unless it takes this one
            preexec_fn=take_the_terminal if controlling else None,
            env={**os.environ, "TERM": "xterm-256color"},
        )
        os.close(self.slave)
        return process

    def read_until(self, process: subprocess.Popen[bytes], wanted: bytes | None) -> bool:
        """Read the screen until `wanted` appears (None: until the process ends)."""
        deadline = time.monotonic() + LIMIT
        while time.monotonic() < deadline:
            if wanted is not None and wanted in self.screen:
                return True
            ready, _, _ = select.select([self.master], [], [], 0.1)
            try:
                chunk = os.read(self.master, 65536) if ready else None
            except OSError:  # EIO: every end of the terminal is closed, the child has ended
                chunk = b""
            if chunk:
                self.screen += chunk
            elif chunk == b"" or process.poll() is not None:
                return wanted is None
        return False

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        os.close(self.master)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    made = Terminal()
    yield made
    made.close()


def ended(process: subprocess.Popen[bytes]) -> int:
    try:
        return process.wait(LIMIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("still running: it hung instead of exiting")


@pytest.mark.parametrize(
    "argv", [["--file", str(FAILED)], ["--demo"], ["--file", "-"]], ids=["file", "demo", "stdin"]
)
def test_without_any_terminal_the_tui_exits_2_at_once(argv: list[str]) -> None:
    """stdin a file, stdout and stderr pipes (cron, CI, `… | less`): exit 2, not a spinning TUI."""
    with FAILED.open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, "-m", "run_inspector", *argv],
            stdin=stdin,
            capture_output=True,
            timeout=LIMIT,
            start_new_session=True,
        )
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode().startswith(NO_TERMINAL) and result.stderr.count(b"\n") == 1


def test_stdin_that_is_not_a_terminal_is_said(terminal: Terminal) -> None:
    """`run-inspector --file X </dev/null` on a terminal: the TUI spun at 97-99% CPU forever."""
    with open(os.devnull, "rb") as stdin:
        process = terminal.start(["--file", str(FAILED)], stdin, controlling=True)
        assert terminal.read_until(process, None)
        code = ended(process)
    assert code == 2
    assert terminal.screen.decode() == f"{NO_TERMINAL} (standard input is not a terminal)\r\n"


def test_stdout_that_is_not_a_terminal_is_said(terminal: Terminal, tmp_path: Path) -> None:
    """`run-inspector RUN > out.txt`: a TUI has nothing to write there."""
    out = tmp_path / "out.txt"
    argv = [sys.executable, "-m", "run_inspector", "--file", str(FAILED)]
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            argv, stdin=terminal.slave, stdout=stdout, stderr=terminal.slave, start_new_session=True
        )
        os.close(terminal.slave)
        assert terminal.read_until(process, None)
        code = ended(process)
    assert code == 2 and out.read_bytes() == b""
    assert terminal.screen.decode() == f"{NO_TERMINAL} (standard output is not a terminal)\r\n"


def test_the_file_on_stdin_and_no_terminal_for_the_keys_is_said(terminal: Terminal) -> None:
    """`cat run.json | run-inspector --file -` with no /dev/tty (no controlling terminal)."""
    with FAILED.open("rb") as stdin:
        process = terminal.start(["--file", "-"], stdin, controlling=False)
        assert terminal.read_until(process, None)
        code = ended(process)
    assert code == 2
    assert terminal.screen.decode() == (
        f"{NO_TERMINAL} (the run comes on standard input, and there is no terminal (/dev/tty) for the keys)\r\n"
    )


def test_the_file_on_stdin_and_the_keys_from_the_terminal(terminal: Terminal) -> None:
    """`cat run.json | run-inspector --file -` (the README's): the run is read from the pipe,
    then the keys from /dev/tty, as `less` does: the app draws the run and `q` quits it."""
    read, write = os.pipe()
    process = terminal.start(["--file", "-"], read, controlling=True)
    os.close(read)
    with os.fdopen(write, "wb") as pipe:  # a pipe, not a file: what `cat … |` gives
        pipe.write(FAILED.read_bytes())
    assert terminal.read_until(process, b"Enrich company"), terminal.screen[-2000:]
    terminal.type(b"q")
    assert terminal.read_until(process, None)
    assert ended(process) == 0


def test_a_one_shot_mode_needs_no_terminal() -> None:
    with FAILED.open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, "-m", "run_inspector", "--file", "-", "--print"],
            stdin=stdin,
            capture_output=True,
            timeout=LIMIT,
            start_new_session=True,
        )
    assert result.returncode == 0 and b"Enrich company" in result.stdout and result.stderr == b""
