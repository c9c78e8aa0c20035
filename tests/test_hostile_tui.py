"""Hostile data, faults and the token in the TUI.

The hostile run opens and shows every text literally, nothing in it acts (a click on
`[@click=app.quit]` does not quit), no control character reaches a widget, the huge error is
in the error pane in full, and every execution is in the executions table. Faults from a real
loopback server give a visible error state, retried where retrying makes sense, with the last
good data kept on screen. The token stays out of the screen and out of Textual's crash report,
which prints the local variables of every frame.

The last test opens the hostile run in a real terminal (tmux) when tmux is installed.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from run_inspector import client as client_module
from run_inspector.client import CargoClient
from run_inspector.config import Secret
from run_inspector.source import ApiSource, FileSource
from run_inspector.ui.app import InspectorApp, make_app
from run_inspector.ui.header import RunHeader
from run_inspector.ui.panes import ErrorPane, ExecutionTable, JsonPane, JsonTree, OverviewPane
from run_inspector.ui.screens import WhyScreen
from run_inspector.ui.tree import RunTree

from .fixtures.make_hostile import (
    DEEP_CONFIG_NODE,
    HOSTILE_TEXTS,
    HUGE_ERROR_NODE,
    MANY_CHILDREN,
    MANY_CHILDREN_NODE,
    with_many_children,
)
from .helpers import FIXTURES, fixture_bytes
from .rawserver import answer, raw_server
from .test_faults import NETWORK_FAULTS, RESPONSE_FAULTS
from .ui_helpers import go_to, notices, pane_text, static_text

SIZE = (120, 36)
HOSTILE = FIXTURES / "hostile_run.json"
SENTINEL = "SENTINEL-tui-4b7d19e2c5a8f063"
RUN = "run-failed-0001"
BODY = fixture_bytes("failed_run.json")
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
CLICK = HOSTILE_TEXTS["markup-click-quit"]


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """No animations; no real waits between the client's retries; a short read timeout."""
    monkeypatch.setattr("textual.constants.TEXTUAL_ANIMATIONS", "none")

    async def no_wait(seconds: float) -> None:
        pass

    monkeypatch.setattr(client_module, "_sleep", no_wait)


def hostile_source(*, huge_error: bool = False) -> FileSource:
    """The hostile run; without its 1 MB error unless asked (it costs seconds per redraw)."""
    if huge_error:
        return FileSource(HOSTILE.read_bytes(), "hostile_run.json")
    data = json.loads(HOSTILE.read_bytes())
    for execution in data["run"]["executions"]:
        if isinstance(execution, dict) and execution.get("nodeUuid") == HUGE_ERROR_NODE:
            execution["errorMessage"] = "a short error instead of the huge one"
    return FileSource(json.dumps(data).encode(), "hostile_run.json")


def api_source(url: str) -> ApiSource:
    client = CargoClient(url, Secret(SENTINEL), retries=1, timeout=httpx.Timeout(0.3, connect=1.0))
    return ApiSource(client, RUN, url)


async def until(pilot: Pilot[None], done: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.02)
    await pilot.pause()


async def loaded(pilot: Pilot[None]) -> InspectorApp:
    app = pilot.app
    assert isinstance(app, InspectorApp)
    await until(pilot, lambda: app.graph is not None and app.run_tree.cursor_node is not None, 60)
    return app


def tree_labels(app: InspectorApp) -> list[Any]:
    tree = app.run_tree
    return [tree.get_node_at_line(line).label for line in range(tree.last_line + 1)]  # type: ignore[union-attr]


async def screen_texts(app: InspectorApp) -> list[str]:
    """Everything on screen that came from the run, as plain text, plus the notifications.

    The Overview and Error panes are made and filled first (a pane is made when its tab is
    first shown), so both are read whichever tab is up."""
    texts = [str(label) for label in tree_labels(app)]
    texts += [static_text(app, "#header"), static_text(app, "#message")]
    if app.graph is not None:
        for tab in ("overview", "error"):
            await app.deck.open(tab)
    texts += [pane_text(app, pane) for pane in (OverviewPane, ErrorPane)]
    texts += notices(app)
    return texts


async def assert_nothing_unsafe(app: InspectorApp) -> None:
    for text in await screen_texts(app):
        assert not UNSAFE.search(text), repr(text[:200])
    for label in tree_labels(app):
        for span in getattr(label, "spans", []):
            style = str(span.style)
            assert "@click" not in style and "link" not in style, style


# -- the hostile run --------------------------------------------------------------------------------


async def test_the_hostile_run_shows_literally_and_nothing_in_it_acts() -> None:
    app = make_app(hostile_source())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        labels = [str(label) for label in tree_labels(app)]
        assert any(CLICK in label for label in labels)
        assert any(f"[{CLICK}]  ← taken" in label for label in labels)  # a switch route's name
        assert HOSTILE_TEXTS["markup-click-quit"] in static_text(app, "#header")
        await assert_nothing_unsafe(app)
        assert pane_text(app, OverviewPane) and pane_text(app, ErrorPane)  # both were read

        await go_to(pilot, "n:t-markup-click-quit")  # the node named [@click=app.quit]…, brought into view
        await pilot.pause()
        node = app.run_tree.node_for("n:t-markup-click-quit")
        assert node is not None and CLICK in str(node.label)
        await pilot.click(RunTree, offset=(6, node.line - app.run_tree.scroll_offset.y))
        await pilot.pause()
        assert app.is_running

        for key in ["j", "j", "k", "enter", "space", "1", "2", "3", "4", "5", "6", "1", "n", "N", "z", "z"]:
            await pilot.press(key)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        await assert_nothing_unsafe(app)


async def test_the_huge_error_is_cut_in_the_tree_and_whole_in_the_error_pane() -> None:
    app = make_app(hostile_source(huge_error=True))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await go_to(pilot, f"n:{HUGE_ERROR_NODE}")
        await pilot.press("3")
        await pilot.pause()
        node = app.run_tree.node_for(f"n:{HUGE_ERROR_NODE}")
        assert node is not None and len(str(node.label)) < 120
        shown = app.main.query_one("#error-text", TextArea).text
        assert len(shown) > 900_000 and shown.endswith("END-OF-HUGE-ERROR")
        assert "[bold]x[/bold] red and a very long word" in shown  # literal, the colour codes gone
        assert not UNSAFE.search(shown.replace("\n", ""))
        assert app.is_running


async def test_the_huge_error_pane_draws_only_what_is_visible_and_keys_stay_quick() -> None:
    """A `Static` re-wraps all of its text at every layout: with the 1 MB error on screen each of
    z, f and t took seconds. The error pane's read-only text area holds the whole error and wraps
    it once per width, drawing only the rows on screen."""
    app = make_app(hostile_source(huge_error=True))

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            await go_to(pilot, f"n:{HUGE_ERROR_NODE}")
            await pilot.press("3")
            await pilot.pause()
            area = app.main.query_one("#error-text", TextArea)
            assert area.read_only and area.soft_wrap and area.language is None
            assert area.region.height <= SIZE[1]  # on screen: a window onto the text, not all of it
            assert area.virtual_size.height > 5_000  # ... which is all there, wrapped
            for key in ("z", "f", "t", "z", "f", "t", "j", "k", "w", "escape", "3"):
                await pilot.press(key)
            await pilot.pause()
            assert app.is_running
            assert app.main.query_one("#error-text", TextArea).text.endswith("END-OF-HUGE-ERROR")

    await asyncio.wait_for(drive(), 25)


async def test_a_one_line_megabyte_error_is_broken_for_display_and_copied_whole() -> None:
    """A text area renders a whole line for each row it draws: a 1 MB line would cost a second
    per key. Very long lines are broken for display; `y` still copies the error as it came."""
    data = json.loads(hostile_source().body)
    for execution in data["run"]["executions"]:
        if isinstance(execution, dict) and execution.get("nodeUuid") == HUGE_ERROR_NODE:
            execution["errorMessage"] = "W" * 1_000_000 + "END"
    app = make_app(FileSource(json.dumps(data).encode(), "one-line.json"))

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            await go_to(pilot, f"n:{HUGE_ERROR_NODE}")
            await pilot.press("3")
            await pilot.pause()
            area = app.main.query_one("#error-text", TextArea)
            assert area.document.line_count > 50
            assert max(len(line) for line in area.document.lines) <= 10_000
            assert area.text.replace("\n", "") == "W" * 1_000_000 + "END"
            area.focus()
            for key in ("pagedown", "pagedown", "end", "z", "z"):
                await pilot.press(key)
            await pilot.press("y")
            assert app.clipboard == "W" * 1_000_000 + "END"

    await asyncio.wait_for(drive(), 25)


async def test_every_execution_is_in_the_executions_table() -> None:
    app = make_app(hostile_source())
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        graph = app.graph
        assert graph is not None
        assert sum(len(s.executions) for s in graph.states.values()) == len(graph.run.executions or [])
        await pilot.press("2")
        for uuid in ("g-dup", "g-cycle-a", "g-unknown", "ghost-node", "?unknown", "t-markup-click-quit"):
            await go_to(pilot, f"n:{uuid}")
            await pilot.pause()
            table = app.main.query_one(ExecutionTable)
            assert table.row_count == len(graph.states[uuid].executions), uuid
            assert table.row_count >= 1


async def test_the_deep_config_input_and_output_open() -> None:
    app = make_app(hostile_source())
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await go_to(pilot, f"n:{DEEP_CONFIG_NODE}")
        for key in ("1", "4", "5"):
            await pilot.press(key)
            await pilot.pause()
        assert app.main.query_one("#output-pane", JsonPane).plain.count("level") > 200
        assert app.main.query_one("#input-pane", JsonPane).plain.count("level") > 200
        assert (
            app.main.query_one("#config-tree", JsonTree).value
            == app.graph.states[DEEP_CONFIG_NODE].node.config
        )  # type: ignore[union-attr]
        assert app.is_running


async def test_the_deep_config_is_a_lazy_tree_in_the_overview_and_keys_stay_quick() -> None:
    """The 500-deep config as pretty JSON text was a thousand wrapped lines (2 s per layout). The
    Overview shows it as a JSON tree, opened one level at a time, like the Input pane."""
    app = make_app(hostile_source())

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            await pilot.press("1")
            await go_to(pilot, f"n:{DEEP_CONFIG_NODE}")
            await pilot.pause()
            tree = app.main.query_one("#config-tree", JsonTree)
            assert tree.display and tree.last_line < 20  # the top levels, not 500 of them
            assert len(str(app.main.query_one("#overview-text", Static).render())) < 5_000
            for key in ("z", "z", "w", "escape", "f", "f"):
                await pilot.press(key)
            tree.focus()
            await pilot.press("j", "j", "l", "j", "l")
            assert app.is_running

    await asyncio.wait_for(drive(), 25)


async def test_the_why_view_cuts_the_huge_error_and_stays_quick() -> None:
    app = make_app(hostile_source(huge_error=True))

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            await go_to(pilot, f"n:{HUGE_ERROR_NODE}")
            await pilot.pause()
            await pilot.press("w")
            await pilot.pause()
            assert isinstance(app.screen, WhyScreen)
            report = str(app.screen.query_one("#why-text", Static).render())
            assert len(report) < 100_000 and "more lines" in report
            await pilot.press("j", "G", "g", "escape")
            assert app.is_running

    await asyncio.wait_for(drive(), 25)


async def test_ten_thousand_children_open_in_bounded_time() -> None:
    data = with_many_children(json.loads(hostile_source().body))
    app = make_app(FileSource(json.dumps(data).encode(), "many.json"))
    started = time.monotonic()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await go_to(pilot, f"n:{MANY_CHILDREN_NODE}")
        await pilot.pause()
        assert time.monotonic() - started < 30
        node = app.run_tree.node_for(f"n:{MANY_CHILDREN_NODE}")
        assert node is not None
        graph = app.graph
        assert graph is not None and len(graph.states[MANY_CHILDREN_NODE].edges) == MANY_CHILDREN
        await pilot.press("j", "j", "k")
        assert app.is_running
        await pilot.press("1")
        await go_to(pilot, f"n:{MANY_CHILDREN_NODE}")
        await pilot.pause()
        overview = str(app.main.query_one("#overview-text", Static).render())
        assert len(overview.splitlines()) < 200  # not one line per child
        assert f"… {MANY_CHILDREN - 100:,} more (the tree lists them all)" in overview


# -- faults: a visible error state, retried where that makes sense, the last data kept -------------

RETRIED = {"stale"}
GIVEN_UP = {"failed"}
TUI_EXPECTED: dict[str, set[str]] = {
    **{name: RETRIED for name in RESPONSE_FAULTS},
    **{name: RETRIED for name in NETWORK_FAULTS},
    "401": GIVEN_UP,
    "401-empty-body": GIVEN_UP,
    "403": GIVEN_UP,
    "404": GIVEN_UP,  # the run was there a moment ago: asking again will not bring it back
}


@pytest.mark.parametrize("fault", list(TUI_EXPECTED))
async def test_a_fault_after_good_data_shows_an_error_state_and_keeps_the_run(fault: str) -> None:
    step = (RESPONSE_FAULTS.get(fault) or NETWORK_FAULTS[fault])[0]
    running = json.loads(BODY)
    running["run"]["status"] = "running"  # so the poller asks again
    with raw_server(answer(200, json.dumps(running).encode()), step) as server:
        app = make_app(api_source(server.url), interval=0.05)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await loaded(pilot)
            await until(pilot, lambda: app.feed.status is not None and app.feed.status.state != "live")
            assert app.feed.status is not None and app.feed.status.state in TUI_EXPECTED[fault]
            header = static_text(app, "#header")
            assert (
                ("retrying in" in header) if TUI_EXPECTED[fault] is RETRIED else ("polling stopped" in header)
            )
            assert app.graph is not None and app.graph.run.uuid == RUN  # the last good data stays
            assert any("Sync to HubSpot" in str(label) for label in tree_labels(app))
            assert app.is_running
            await assert_nothing_unsafe(app)
            assert not [t for t in await screen_texts(app) if SENTINEL in t]


@pytest.mark.parametrize("fault", ["500", "html-page", "reset-mid-body", "401"])
async def test_a_fault_before_any_data_is_said_in_the_body(fault: str) -> None:
    step = (RESPONSE_FAULTS.get(fault) or NETWORK_FAULTS[fault])[0]
    with raw_server(step) as server:
        app = make_app(api_source(server.url), interval=0.05)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await until(pilot, lambda: app.header.problem is not None)
            message = static_text(app, "#message")
            assert "Could not load" in message
            if TUI_EXPECTED[fault] is RETRIED:
                assert "retrying" in message
            assert app.is_running
            await assert_nothing_unsafe(app)


async def test_api_text_in_an_error_cannot_drive_the_terminal() -> None:
    hostile = {"errorMessage": "\x1b]0;PWNED\x07\x1b[2J boom [@click=app.quit]x[/]"}
    with raw_server(answer(500, json.dumps(hostile).encode())) as server:
        app = make_app(api_source(server.url), interval=0.05)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await until(pilot, lambda: app.header.problem is not None)
            assert "boom [@click=app.quit]x[/]" in static_text(app, "#message")
            await assert_nothing_unsafe(app)
            for text in await screen_texts(app):
                assert "PWNED" not in text


# -- the token and Textual's crash report ----------------------------------------------------------


def crash_report(renderables: list[Any]) -> str:
    """What Textual prints when it exits on an error: a Rich traceback with every frame's locals."""
    console = Console(record=True, width=160, file=io.StringIO())
    for renderable in renderables:
        console.print(renderable)
    return console.export_text()


@pytest.fixture
def exit_renderables(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Textual prints its crash report to stderr at exit, then clears it: keep a copy."""
    kept: list[Any] = []
    original = InspectorApp._print_error_renderables

    def keep(self: InspectorApp) -> None:
        kept.extend(self._exit_renderables)
        original(self)

    monkeypatch.setattr(InspectorApp, "_print_error_renderables", keep)
    return kept


@pytest.fixture
def served() -> Iterator[str]:
    running = json.loads(BODY)
    running["run"]["status"] = "running"
    with raw_server(answer(200, json.dumps(running).encode())) as server:
        yield server.url
        assert all(f"Bearer {SENTINEL}".encode() in request for request in server.requests)


@pytest.mark.parametrize("where", ["a key's handler", "the poll status handler"])
async def test_a_crash_report_holds_no_token(
    served: str,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    capfd: pytest.CaptureFixture[str],
    exit_renderables: list[Any],
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"forced crash in {where}")

    app = make_app(api_source(served), interval=0.05)
    with pytest.raises(RuntimeError, match="forced crash"):
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            screenshot = app.export_screenshot()
            assert SENTINEL not in screenshot
            if where == "a key's handler":
                monkeypatch.setattr(ErrorPane, "draw", boom)  # j → cursor moves → panes update
            else:
                monkeypatch.setattr(RunHeader, "show_status", boom)  # at the next poll
            await pilot.press("j")
            await pilot.pause(0.3)
    report = crash_report(exit_renderables)
    assert "RuntimeError" in report and "forced crash" in report  # the report really is there
    assert "locals" in report and "self = " in report  # with every frame's local variables
    assert SENTINEL not in report, [line for line in report.splitlines() if SENTINEL in line]
    error = app._exception
    assert error is not None
    with_locals = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    assert SENTINEL not in with_locals
    out, err = capfd.readouterr()
    assert "forced crash" in err  # the same report, as printed to stderr
    assert SENTINEL not in out + err


async def test_a_crash_in_the_http_stack_stops_polling_visibly_without_the_token(
    served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import h11

    original = h11.Connection.send
    calls = {"n": 0}

    def send(self: h11.Connection, event: Any) -> Any:
        if isinstance(event, h11.Request):
            calls["n"] += 1
            if calls["n"] > 1:
                raise RuntimeError("forced crash while sending the request headers")
        return original(self, event)

    monkeypatch.setattr(h11.Connection, "send", send)
    app = make_app(api_source(served), interval=0.05)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        await until(pilot, lambda: app.header.problem is not None)
        assert "polling stopped" in static_text(app, "#header")
        assert app.graph is not None and app.is_running
        assert not [t for t in await screen_texts(app) if SENTINEL in t]
        assert SENTINEL not in app.export_screenshot()
        worker_error = app.feed.worker.error if app.feed.worker is not None else None
        if worker_error is not None:
            text = "".join(
                traceback.TracebackException.from_exception(worker_error, capture_locals=True).format()
            )
            assert SENTINEL not in text


# -- a real terminal ----------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_in_a_real_terminal_the_text_shows_and_nothing_acts(tmp_path: Path) -> None:
    """tmux: the literal `[@click=app.quit]` is on screen, the pane title and the clipboard
    (tmux's paste buffers, which OSC 52 writes to) are unchanged, and keys leave it running."""
    socket = f"run-inspector-test-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", socket, "-f", "/dev/null", *args], capture_output=True, text=True
        )
        return result.stdout

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", "inspect")

    command = f"{sys.executable} -m run_inspector --file {HOSTILE}"
    tmux("new-session", "-d", "-s", "inspect", "-x", "150", "-y", "45", "-e", "TERM=xterm-256color", "sh")
    try:
        tmux("set-option", "-g", "set-clipboard", "on")
        tmux("select-pane", "-t", "inspect", "-T", "ORIGINAL-TITLE")
        tmux("send-keys", "-t", "inspect", command, "Enter")
        deadline = time.monotonic() + 60
        while "click to quit" not in screen():
            assert time.monotonic() < deadline, screen()
            time.sleep(0.2)
        for key in [
            "j",
            "j",
            "j",
            "Enter",
            "Space",
            "Tab",
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "1",
            "n",
            "N",
            "z",
            "z",
        ]:
            tmux("send-keys", "-t", "inspect", key)
            time.sleep(0.3)
        time.sleep(3)
        shown = screen()
        assert CLICK in shown
        assert "PWNED" not in shown
        assert tmux("display", "-p", "-t", "inspect", "#{pane_title}").strip() == "ORIGINAL-TITLE"
        assert tmux("list-buffers") == ""  # nothing was written to the clipboard
        assert "python" in tmux("display", "-p", "-t", "inspect", "#{pane_current_command}")
        tmux("send-keys", "-t", "inspect", "q")
        deadline = time.monotonic() + 20
        while "python" in tmux("display", "-p", "-t", "inspect", "#{pane_current_command}"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        tmux("kill-server")
