"""The TUI stages: first paint, a 1%-changed refresh, key presses while a poll is in flight.

Everything runs headless through `make_app(source).run_test(size=(160, 48))`, in this
process and on its event loop, as the app runs for real (its poller is an async worker on
the same loop). Three instruments:

* first paint: from starting the app until the first refresh after the run's tree has
  lines (the tree is mounted and the first screen is rendered), against the same for a
  minimal Textual app plus `json.loads` of the body;
* a heartbeat: a task that wakes every millisecond and records the longest gap between two
  wake-ups. That gap is the longest step during which the app could not react to anything
  (a key press, a timer, a repaint): "no single step blocks the UI for more than 50 ms";
* a count of `TreeNode.set_label` calls during a refresh, and of which lines they were on,
  to check that a refresh touches only the lines of nodes that changed.

The key rows (`key_rows`: `/` and typing, `w`, `t`, `q`) send each key as the terminal driver
would (`driver.send_message(Key)`), not through `Pilot.press`, which also waits until the CPU
has been idle (~85-100 ms a press on its own). Each time runs from sending the key until its
effect is on screen: the condition that says the key was handled (the tree's query is the
typed text, the why screen is mounted, the nested layout is shown, the app's task is done)
and then the next screen refresh. The floor is the same key on a minimal Textual app (a
character typed into a focused `Input` until repainted; `q` until that app has exited).
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.keys import _character_to_key
from textual.widgets import Input, Static
from textual.widgets.tree import TreeNode

from benchmarks.run import Pairs, Row
from run_inspector.graph import RunGraph
from run_inspector.layout import ItemKind, Layout, flat_layout, walk
from run_inspector.models import parse_run_response
from run_inspector.source import RunSource
from run_inspector.ui.app import make_app

SIZE = (160, 48)
STEP_TARGET = 0.050
"""No single UI step over 50 ms during a 1%-changed refresh (L)."""
XL_STEP_TARGET = 0.200
"""XL: no UI step over 200 ms after first paint."""


class MinimalApp(App[None]):
    """The floor for first paint: a Textual app with one line of text."""

    def compose(self) -> ComposeResult:
        yield Static("hello", markup=False)


class GatedSource(RunSource):
    """A live run whose polls after the first wait for `release()`: the benchmark decides when."""

    live = True
    description = "benchmark"

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies = bodies
        self.calls = 0
        self.root_uuid = json.loads(bodies[0])["run"]["uuid"]  # the poller checks every answer is it
        self._gate: asyncio.Event | None = None

    def release(self) -> None:
        if self._gate is not None:
            self._gate.set()

    @property
    def waiting(self) -> bool:
        return self._gate is not None and not self._gate.is_set()

    async def fetch_bytes(self, run_uuid: str) -> bytes:
        if self.calls > 0:
            self._gate = asyncio.Event()
            await self._gate.wait()
        body = self.bodies[self.calls % len(self.bodies)]
        self.calls += 1
        return body


class Heartbeat:
    """The longest stretch the event loop could not run a 1 ms timer."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._beat(time.perf_counter()))

    async def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        return self.worst

    async def _beat(self, last: float) -> None:
        """From `last` (when `start` was called, so a loop blocked before the first beat counts)."""
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last)
            last = now


@dataclass
class LabelLog:
    calls: int = 0
    keys: list[str] = field(default_factory=list)


@contextmanager
def counting_labels() -> Iterator[LabelLog]:
    """Count `TreeNode.set_label` calls (the benchmark's only patch of Textual)."""
    log = LabelLog()
    original = TreeNode.set_label

    def counted(self: TreeNode[Any], label: Any) -> None:
        log.calls += 1
        data = self.data
        log.keys.append(getattr(data, "key", "?"))
        original(self, label)

    TreeNode.set_label = counted  # type: ignore[method-assign]
    try:
        yield log
    finally:
        TreeNode.set_label = original  # type: ignore[method-assign]


async def _painted(app: App[Any]) -> None:
    """Wait for the app's next screen refresh."""
    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await done.wait()


async def _until(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app never showed the run")
        await asyncio.sleep(0.001)


def _shows_run(app: Any, graph: RunGraph | None = None) -> bool:
    if app.graph is None or (graph is not None and app.graph is graph):
        return False
    return bool(app.run_tree.root.children)


async def minimal_first_paint() -> float:
    start = time.perf_counter()
    app = MinimalApp()
    async with app.run_test(size=SIZE):
        await _painted(app)
        return time.perf_counter() - start


async def inspector_first_paint(body: bytes) -> float:
    from run_inspector.source import FileSource

    start = time.perf_counter()
    app: Any = make_app(FileSource(body, "bench"))
    async with app.run_test(size=SIZE):
        await _until(lambda: _shows_run(app))
        await _painted(app)
        return time.perf_counter() - start


WARM_UP = (
    b'{"run": {"uuid": "warm-up", "status": "success", "nodes": [{"uuid": "s", "slug": "start", '
    b'"kind": "native", "actionSlug": "start", "childrenUuids": []}], "executions": []}}'
)


def first_paint_row(body: bytes, repeats: int) -> Row:
    asyncio.run(minimal_first_paint())  # warm up imports, CSS parsing and caches of both apps
    asyncio.run(inspector_first_paint(WARM_UP))
    pairs = Pairs()
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        json.loads(body)
        loads = time.perf_counter() - start
        gc.collect()
        floor = asyncio.run(minimal_first_paint()) + loads
        gc.collect()
        pairs.add(floor, asyncio.run(inspector_first_paint(body)))
        gc.unfreeze()  # the poller froze the run (and the app with it): one app per process, for real
    return Row.of("TUI first paint (tree mounted, screen rendered)", pairs, 2.0,
                  "floor: a minimal Textual app's first paint + json.loads")


def changed_items(graph: RunGraph, changed_nodes: set[str]) -> set[str]:
    """Keys of the tree items that show a changed node: its line, references, edges from it."""
    keys: set[str] = set()
    for item, _, _ in walk(flat_layout(graph).root):
        edge_source = item.edge.source if item.edge is not None else None
        if item.node_uuid in changed_nodes or edge_source in changed_nodes:
            keys.add(item.key)
    return keys


@dataclass
class RefreshResult:
    first_paint: float
    idle_worst: float
    refresh: float
    refresh_worst: float
    press_in_flight: float
    press_idle: float
    labels: LabelLog
    allowed: set[str]


async def refresh_session(body: bytes, changed: bytes, changed_nodes: set[str]) -> RefreshResult:
    """Open the run, then: idle with key presses, a 1%-changed refresh, a press during a poll."""
    source = GatedSource([body, changed, body])
    start = time.perf_counter()
    app: Any = make_app(source, interval=0.05)
    heartbeat = Heartbeat()
    async with app.run_test(size=SIZE) as pilot:
        await _until(lambda: _shows_run(app))
        await _painted(app)
        first_paint = time.perf_counter() - start
        await _until(lambda: source.waiting)  # the poller is parked on its next fetch

        heartbeat.start()
        for key in ("down", "down", "up"):
            await pilot.press(key)
        started = time.perf_counter()
        await pilot.press("down")
        press_idle = time.perf_counter() - started
        await pilot.pause(0.2)
        idle_worst = await heartbeat.stop()

        old_graph = app.graph
        with counting_labels() as labels:
            heartbeat.start()
            started = time.perf_counter()
            source.release()
            await _until(lambda: _shows_run(app, old_graph))
            await _painted(app)
            refresh = time.perf_counter() - started
            refresh_worst = await heartbeat.stop()
        allowed = changed_items(app.graph, changed_nodes)
        await _until(lambda: source.waiting)

        await pilot.pause(0.2)
        source.release()  # the next poll (the first body again) is now in flight
        started = time.perf_counter()
        await pilot.press("down")
        press_in_flight = time.perf_counter() - started
    return RefreshResult(first_paint, idle_worst, refresh, refresh_worst, press_in_flight, press_idle,
                         labels, allowed)


def rows(size: str, body: bytes, changed: bytes, changed_nodes: set[str], repeats: int) -> list[Row]:
    out = [first_paint_row(body, repeats)]
    result = asyncio.run(refresh_session(body, changed, changed_nodes))
    gc.unfreeze()
    graph = RunGraph.build(parse_run_response(changed))
    moved = {uuid for uuid in changed_nodes if uuid in graph.states}
    extra = sorted({key for key in result.labels.keys if key not in result.allowed})
    touched = len(set(result.labels.keys))
    step_target = XL_STEP_TARGET if size == "XL" else STEP_TARGET
    out.append(Row(
        "refresh, 1% changed: labels set", result.labels.calls, unit="n", passed=not extra,
        note=f"on {touched} lines, all showing the {len(moved)} nodes whose executions changed"
        if not extra else f"{len(extra)} lines outside the changed nodes, e.g. {extra[0]}",
    ))
    out.append(Row("refresh, 1% changed: until repainted", result.refresh, note="fetch to repaint"))
    out.append(Row("refresh, 1% changed: longest UI step", result.refresh_worst, target=step_target,
                   absolute=True, note="heartbeat gap on the event loop"))
    out.append(Row("key press while a poll is in flight", result.press_in_flight,
                   note=f"Pilot press to processed; idle press {result.press_idle * 1000:.0f} ms"))
    out.append(Row("idle after first paint: longest UI step", result.idle_worst,
                   target=XL_STEP_TARGET if size == "XL" else None, absolute=True,
                   note="four key presses and 0.2 s of idling"))
    return out


# -- keys: search, w, t, q -------------------------------------------------------------------

KEY_TARGETS = {"search": 0.050, "w": 0.100, "q": 0.200, "t": 0.100}
"""Issue 16's limits on L, per key (seconds from the key to its effect on screen)."""
SEARCH_TEXT = "contact"
"""Typed one character at a time after `/`: from most nodes matching to a few hundred on L."""


class MinimalKeysApp(App[None]):
    """The floor for a key: a focused `Input` (a character typed and repainted), `q` quits."""

    BINDINGS = [Binding("q", "quit", "Quit")]  # noqa: RUF012 - Textual's own idiom

    def __init__(self, *, with_input: bool = True) -> None:
        super().__init__()
        self.with_input = with_input

    def compose(self) -> ComposeResult:
        yield Static("hello", markup=False)
        if self.with_input:
            yield Input(id="field")


def send_key(app: App[Any], char_or_key: str) -> None:
    """Send one key the way a terminal driver does (no waiting, unlike `Pilot.press`)."""
    if len(char_or_key) == 1:
        key = char_or_key if char_or_key.isalnum() else _character_to_key(char_or_key)
        event = events.Key(key, char_or_key)
    else:
        event = events.Key(char_or_key, None)
    assert app._driver is not None
    event.set_sender(app)
    app._driver.send_message(event)


async def _key_to_screen(app: App[Any], key: str, done: Callable[[], bool], timeout: float = 60.0) -> float:
    """Seconds from sending `key` until `done()` holds and the screen has been refreshed."""
    start = time.perf_counter()
    send_key(app, key)
    await _until(done, timeout)
    await _painted(app)
    return time.perf_counter() - start


async def minimal_key_times(chars: str) -> tuple[list[float], float]:
    """The floor: each character typed into a minimal app's Input; then `q` until it exits."""
    app = MinimalKeysApp()
    typed: list[float] = []
    async with app.run_test(size=SIZE):
        await _painted(app)
        field = app.query_one("#field", Input)
        field.focus()
        await _painted(app)
        for position, char in enumerate(chars):
            text = chars[: position + 1]
            typed.append(await _key_to_screen(app, char, lambda text=text: field.value == text))  # type: ignore[misc]
    quit_app = MinimalKeysApp(with_input=False)
    async with quit_app.run_test(size=SIZE):
        await _painted(quit_app)
        start = time.perf_counter()
        send_key(quit_app, "q")
        await _until(lambda: quit_app._exit)
    quit_seconds = time.perf_counter() - start  # the context's exit: the app shut down
    return typed, quit_seconds


def true_count(graph: RunGraph, layout: Layout, text: str) -> int:
    """The nodes on the tree whose slug, name or error text contains `text` (any case).

    Written here rather than taken from `run_inspector.search`, so that the count the app shows
    is checked against the definition, not against itself.
    """
    needle = text.casefold()
    count = 0
    for key in layout.order:
        item = layout.items[key]
        if item.kind is not ItemKind.NODE:
            continue
        state = graph.states.get(item.node_uuid or "")
        if state is None:
            continue
        node = state.node
        fields = [state.slug, node.name if node is not None else None, state.first_error,
                  *(execution.error_message for execution in state.executions)]
        if any(needle in value.casefold() for value in fields if value):
            count += 1
    return count


def _count_shown(app: Any) -> str:
    for label in app.main.query("#search-count").results(Static):
        return str(label.content).strip()
    return ""


def _count_text(count: int) -> str:
    return f"{count} match{'es' if count != 1 else ''}"


@dataclass
class KeyResult:
    typed: list[float]
    """Per character: from the key until the tree's query and the count are updated and painted."""
    counts: list[tuple[str, str, str]]
    """Per character: (text typed, count shown, true count)."""
    open_search: float
    why: float
    why_node: str
    nested: float
    flat: float
    quit: float
    quit_handled: float
    first_paint: float
    burst: float
    """The whole text sent at once, until the tree's query is the text and it is painted."""
    burst_count: tuple[str, str]
    """After the burst: (count shown, true count)."""
    why_last: float
    why_last_node: str


async def key_session(body: bytes, text: str = SEARCH_TEXT) -> KeyResult:
    """Open the run from a file, then: `w` on the node it opens on, `t` and back, `/` and `text`
    one character at a time, `escape`, and `q`."""
    from run_inspector.source import FileSource
    from run_inspector.ui.screens import WhyScreen

    start = time.perf_counter()
    app: Any = make_app(FileSource(body, "bench"))
    async with app.run_test(size=SIZE):
        await _until(lambda: _shows_run(app))
        await _painted(app)
        first_paint = time.perf_counter() - start
        await asyncio.sleep(0.3)  # let the lazy panes and any queued work settle
        screen = app.main

        state = app.selected_state()
        why_node = state.slug if state is not None else "(no node: the run's report)"

        def why_shown() -> bool:
            return isinstance(app.screen, WhyScreen) and bool(app.screen.query("#why-text"))

        why = await _key_to_screen(app, "w", why_shown)
        await _key_to_screen(app, "escape", lambda: app.screen is screen)

        old_layout = screen.tree_layout
        nested = await _key_to_screen(app, "t", lambda: screen.nested and screen.tree_layout is not old_layout)
        old_layout = screen.tree_layout
        flat = await _key_to_screen(app, "t", lambda: not screen.nested and screen.tree_layout is not old_layout)
        await asyncio.sleep(0.2)

        def bar_open() -> bool:
            return bool(screen.query("#search")) and app.focused is not None and app.focused.id == "search"

        open_search = await _key_to_screen(app, "/", bar_open)
        typed: list[float] = []
        counts: list[tuple[str, str, str]] = []
        for position, char in enumerate(text):
            so_far = text[: position + 1]
            typed.append(await _key_to_screen(app, char, lambda so_far=so_far: screen.query_text == so_far))  # type: ignore[misc]
            expected = _count_text(true_count(app.graph, screen.tree_layout, so_far))
            counts.append((so_far, _count_shown(app), expected))
        await _key_to_screen(app, "escape", lambda: screen.query_text == "")
        await asyncio.sleep(0.2)

        # The same text typed in a burst (a fast typist, a paste): every key sent at once.
        await _key_to_screen(app, "/", bar_open)
        await _key_to_screen(app, "ctrl+u", lambda: screen.query_text == "")  # Input: delete to the start
        started = time.perf_counter()
        for char in text:
            send_key(app, char)
        await _until(lambda: screen.query_text == text)
        await _painted(app)
        burst = time.perf_counter() - started
        burst_count = (_count_shown(app), _count_text(true_count(app.graph, screen.tree_layout, text)))
        await _key_to_screen(app, "escape", lambda: screen.query_text == "")
        await asyncio.sleep(0.2)

        # w again, on the last failed node in the tree (the longest path from the start).
        failed = screen._failed_keys()
        why_last, why_last_node = 0.0, ""
        if failed:
            screen.go_to(failed[-1])
            await _painted(app)
            last = app.selected_state()
            why_last_node = last.slug if last is not None else "?"
            why_last = await _key_to_screen(app, "w", why_shown)
            await _key_to_screen(app, "escape", lambda: app.screen is screen)
            await asyncio.sleep(0.2)

        started = time.perf_counter()
        send_key(app, "q")
        await _until(lambda: app._exit)  # the key was handled: the app is exiting
        quit_handled = time.perf_counter() - started
    quit_seconds = time.perf_counter() - started  # the context's exit: the app shut down
    return KeyResult(typed, counts, open_search, why, why_node, nested, flat, quit_seconds, quit_handled,
                     first_paint, burst, burst_count, why_last, why_last_node)


def key_rows(body: bytes, repeats: int, text: str = SEARCH_TEXT) -> list[Row]:
    """Search, `w`, `t` and `q` on the run, each against the same key on a minimal app."""
    asyncio.run(minimal_key_times("ab"))  # warm up imports, CSS and caches
    asyncio.run(key_session(WARM_UP, "s"))
    gc.unfreeze()
    results: list[KeyResult] = []
    typed_floor: list[float] = []
    quit_floor: list[float] = []
    for _ in range(repeats):
        gc.collect()
        typed, quit_seconds = asyncio.run(minimal_key_times(text))
        typed_floor.extend(typed)
        quit_floor.append(quit_seconds)
        gc.collect()
        results.append(asyncio.run(key_session(body, text)))
        gc.unfreeze()  # the poller froze the run (and the app with it): one app per process, for real
    key_floor = statistics.median(typed_floor)

    def row(stage: str, values: list[float], target: float, note: str, floor: float = key_floor) -> Row:
        value = statistics.median(values)
        return Row(stage, value, floor, target=target, absolute=True, note=note)

    every_key = [t for result in results for t in result.typed]
    per_position = [statistics.median(result.typed[i] for result in results) for i in range(len(text))]
    counts = results[-1].counts
    behind = [(typed, shown, expected) for result in results for typed, shown, expected in result.counts
              if shown != expected]
    burst_behind = [result.burst_count for result in results if result.burst_count[0] != result.burst_count[1]]
    worst = max(per_position)
    out = [
        Row(f"search: one character typed (worst of {len(text)} keys)", worst, key_floor,
            target=KEY_TARGETS["search"], absolute=True,
            note=f"key to tree + count repainted; median key {statistics.median(every_key) * 1000:.0f} ms; per key "
            + " ".join(f"{c}:{t * 1000:.0f}" for c, t in zip(text, per_position, strict=True))
            + " ms; floor: a minimal app's Input"),
        Row("search: keys whose count was exact", float(len(every_key) - len(behind)), unit="n",
            passed=not behind and not burst_behind,
            note=("count exact for every key (" + ", ".join(f"{t!r}: {s}" for t, s, _ in counts) + ")")
            if not behind else
            f"count behind on {len(behind)} of {len(every_key)} keys, e.g. {behind[0][0]!r} shows "
            f"{behind[0][1]!r}, true {behind[0][2]!r}"),
        row(f"search: {len(text)} keys sent at once", [r.burst for r in results], KEY_TARGETS["search"] * len(text),
            "keys to the last one's tree + count repainted; count "
            + ("exact" if not burst_behind else f"behind: shows {burst_behind[0][0]!r}, true {burst_behind[0][1]!r}")),
        row("search: / opens the bar", [r.open_search for r in results], KEY_TARGETS["search"], "key to focused input repainted"),
        row("w: the why view", [r.why for r in results], KEY_TARGETS["w"],
            f"on {results[-1].why_node} (the node the run opens on), key to the why screen repainted"),
        *([row("w: on the last failed node", [r.why_last for r in results], KEY_TARGETS["w"],
               f"on {results[-1].why_last_node} (the longest path from the start)")]
          if all(r.why_last_node for r in results) else []),
        row("t: nested tree", [r.nested for r in results], KEY_TARGETS["t"], "key to the nested layout repainted"),
        row("t again: flat tree", [r.flat for r in results], KEY_TARGETS["t"], "key to the flat layout repainted"),
        row("q: quit", [r.quit for r in results], KEY_TARGETS["q"],
            "key to run_test's exit (the app shut down); the key itself handled in "
            f"{statistics.median(r.quit_handled for r in results) * 1000:.0f} ms; floor: a minimal app's q",
            floor=statistics.median(quit_floor)),
    ]
    out.extend(terminal_rows(body, repeats))
    return out


# -- in a terminal: the process, on a pseudo-terminal ------------------------------------------

MINIMAL_APP_CODE = """
import json, sys
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    BINDINGS = [("q", "quit", "Quit")]
    def compose(self):
        yield Static("hello", markup=False)
json.load(open(sys.argv[1], "rb"))
Minimal().run()
"""
"""The floor in a terminal: a one-widget Textual app that loads the same JSON, as a process."""

QUIET = 1.0
"""After the first paint, `q` is pressed once nothing has been written for this long."""


@dataclass
class TerminalRun:
    painted: float
    """From starting the process to the end of its first frame that shows the run."""
    quit_exit: float
    """From writing `q` to the process's exit."""
    quit_restored: float
    """From writing `q` to the last byte the process wrote (the terminal restored)."""


BURST_GAP = 0.010
"""Writes closer than this belong to one frame (Textual writes a frame in 4 KB pieces)."""


def terminal_run(argv: list[str], marker: bytes | None = None, timeout: float = 300.0) -> TerminalRun:
    """Run `argv` on a 160x48 pseudo-terminal until its first frame showing `marker` (else its
    first frame of over 1,000 bytes) is written whole, let it settle (`QUIET` seconds without a
    write: the tab bar's underline slides for ~0.3 s), then press `q`."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import subprocess
    import termios

    from benchmarks.run import ROOT

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(SIZE[0]), "LINES": str(SIZE[1]),
           "PYTHONPATH": path}
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                               close_fds=True)
    os.close(slave)
    last = start
    written = 0
    tail = b""
    found_at: float | None = None
    """When the frame we wait for began to be written (the marker seen, or 1,000 bytes)."""

    def read(wait: float) -> bool:
        """Read what is there; False once the terminal is closed."""
        nonlocal last, written, tail, found_at
        ready, _, _ = select.select([master], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(master, 1 << 20)
        except OSError:
            return False
        if not data:
            return False
        written += len(data)
        last = time.perf_counter()
        if found_at is None:
            if marker is None:
                found = written > 1000
            else:
                tail = (tail + data)[-(len(marker) + (1 << 16)):]
                found = marker in tail
            if found:
                found_at = last
        return True

    try:
        painted = None
        while time.perf_counter() - start < timeout:
            if not read(0.002):
                break
            now = time.perf_counter()
            if found_at is not None and painted is None and now - last > BURST_GAP:
                painted = last - start  # the end of the frame that showed it
            if painted is not None and now - last > QUIET:
                break
        if painted is None:
            raise TimeoutError(f"nothing painted in {timeout:g} s: {argv[:3]}")
        pressed = time.perf_counter()
        os.write(master, b"q")
        while process.poll() is None and time.perf_counter() - pressed < timeout:
            if not read(0.01):
                break
        process.wait(timeout)
        exited = time.perf_counter()
        while read(0):  # what is left in the terminal's buffer
            if time.perf_counter() - exited > 1:
                break
        return TerminalRun(painted, exited - pressed, max(0.0, last - pressed))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)


def title_marker(body: bytes) -> bytes | None:
    """The longest ASCII word of the run's record title (the header shows it once the run is
    there, never on the "Loading…" screen), to recognise the first frame that shows the run."""
    title = json.loads(body)["run"].get("recordTitle") or ""
    words = sorted((word for word in title.split() if word.isascii() and word.isalnum()), key=len)
    return words[-1].encode() if words and len(words[-1]) >= 4 else None


def terminal_rows(body: bytes, repeats: int) -> list[Row]:
    """First paint and `q` of `run-inspector --file` as a process on a pseudo-terminal, against a
    minimal Textual app that loads the same JSON, in turns."""
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json", prefix="run-inspector-bench-") as file:
        file.write(body)
        file.flush()
        inspector = [sys.executable, "-c", "import sys; from run_inspector.cli import main; sys.exit(main())",
                     "--file", file.name]
        minimal = [sys.executable, "-c", MINIMAL_APP_CODE, file.name]
        floors: list[TerminalRun] = []
        runs: list[TerminalRun] = []
        marker = title_marker(body)
        for _ in range(repeats):
            floors.append(terminal_run(minimal))
            runs.append(terminal_run(inspector, marker))
    paint = Pairs()
    quit_pairs = Pairs()
    for floor, run in zip(floors, runs, strict=True):
        paint.add(floor.painted, run.painted)
        quit_pairs.add(floor.quit_exit, run.quit_exit)
    restored = statistics.median(r.quit_restored for r in runs)
    restored_floor = statistics.median(r.quit_restored for r in floors)
    return [
        Row.of("first paint in a terminal (a process, pty)", paint, 2.0,
               "process start to the end of the first frame showing the run's title; "
               "floor: a minimal Textual app that "
               "json.loads the file, a process"),
        Row("q in a terminal: to the process's exit (pty)", quit_pairs.stage, quit_pairs.floor,
            target=KEY_TARGETS["q"], absolute=True, pair_ratio=quit_pairs.ratio,
            note=f"terminal restored (last write) after {restored * 1000:.0f} ms, the minimal app's after "
                 f"{restored_floor * 1000:.0f} ms"),
    ]
