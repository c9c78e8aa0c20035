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
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static
from textual.widgets.tree import TreeNode

from benchmarks.run import Pairs, Row
from run_inspector.graph import RunGraph
from run_inspector.layout import flat_layout, walk
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
