"""The incremental parser (`run_inspector.increment`) on big runs: CPU, longest step, UI gaps.

    python -m benchmarks.increment              # L and XL, each in a fresh process
    python -m benchmarks.increment --sizes M,L

For each size it prints, next to `json.loads` of the same bytes timed in turns with it:

* `parse_run_response` (one `model_validate_json` call: the long step the parser removes);
* a 1%-changed body parsed after the previous one (`mutate_executions(data, 0.01)`), alternating
  with the unchanged body so that every timed parse sees 1% of the executions changed;
* the first body: the fast path plus `index()`, and `first="stepped"` (no call over a few ms);
* for each, the longest step the parser timed itself (each pydantic call) and the longest
  single C call seen by a `sys.setprofile` hook (every builtin and extension call);
* a thread experiment: the parse runs in a `threading.Thread` while this thread runs an
  asyncio loop whose task sleeps 1 ms at a time; the longest gap between two wake-ups is the
  longest stretch an event loop (the TUI's) could not run.

Times are wall-clock medians; "cpu" ratios use `time.process_time` (this process, all threads)
for the same calls. No thresholds: the numbers go in the report, benchmarks/README.md says how
to read them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as `python benchmarks/increment.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import SIZES, generate_size, mutate_executions, to_bytes  # noqa: E402
from benchmarks.run import Pairs, fmt_seconds  # noqa: E402
from run_inspector.increment import IncrementalParser  # noqa: E402
from run_inspector.models import parse_run_response  # noqa: E402

REPEATS = {"S": 9, "M": 9, "L": 7, "XL": 3}
THREAD_REPEATS = {"S": 5, "M": 5, "L": 5, "XL": 2}


# -- instruments -------------------------------------------------------------------------------


@dataclass
class Timing:
    """A stage and its floor timed in turns, wall clock and CPU."""

    wall: Pairs = field(default_factory=Pairs)
    cpu: Pairs = field(default_factory=Pairs)
    longest_step: float = 0.0
    longest_step_name: str = ""

    def add(self, floor: tuple[float, float], stage: tuple[float, float]) -> None:
        self.wall.add(floor[0], stage[0])
        self.cpu.add(floor[1], stage[1])


def clock(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, cpu) seconds of one call; earlier garbage is collected first, outside the timing."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    took = time.perf_counter() - wall, time.process_time() - cpu
    del result
    return took


class LongestCall:
    """A `sys.setprofile` hook: the longest single call into C (a builtin, pydantic-core)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.name = ""
        self._starts: list[float] = []

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call":
            self._starts.append(time.perf_counter())
        elif event in ("c_return", "c_exception") and self._starts:
            took = time.perf_counter() - self._starts.pop()
            if took > self.longest:
                self.longest = took
                self.name = getattr(arg, "__qualname__", None) or repr(arg)


def longest_c_call(fn: Callable[[], object]) -> LongestCall:
    hook = LongestCall()
    gc.collect()
    sys.setprofile(hook)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return hook


def heartbeat_gap(work: Callable[[], object]) -> tuple[float, float]:
    """(longest gap of a 1 ms heartbeat on this thread's event loop, wall time) while `work`
    runs in another thread."""

    kept: list[object] = []

    async def beat() -> tuple[float, float]:
        done = threading.Event()

        def target() -> None:
            try:
                kept.append(work())  # freed after the measurement (freeing a run is a long step too)
            finally:
                done.set()

        thread = threading.Thread(target=target, name="parse")
        worst = 0.0
        started = last = time.perf_counter()
        thread.start()
        while True:  # at least one beat, however short the work
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now
            if done.is_set():
                break
        thread.join()
        return worst, time.perf_counter() - started

    gc.collect()
    result = asyncio.run(beat())
    del kept[:]
    return result


# -- the stages ----------------------------------------------------------------------------------


@dataclass
class Line:
    stage: str
    time: float | None = None
    floor: float | None = None
    ratio: float | None = None
    cpu_ratio: float | None = None
    step: float | None = None
    c_call: float | None = None
    note: str = ""


def primed(body: bytes) -> IncrementalParser:
    parser = IncrementalParser()
    parser.parse(body)
    parser.index()
    return parser


def measure(size: str) -> tuple[int, list[Line]]:
    repeats, thread_repeats = REPEATS[size], THREAD_REPEATS[size]
    data = generate_size(size)
    body = to_bytes(data)
    changed = [to_bytes(mutate_executions(data, 0.01, seed=2 + k)[0]) for k in range(repeats)]
    del data
    lines: list[Line] = []

    def line(stage: str, timing: Timing, note: str = "", c_call: LongestCall | None = None) -> Line:
        made = Line(
            stage,
            timing.wall.stage,
            timing.wall.floor,
            timing.wall.ratio,
            timing.cpu.ratio,
            timing.longest_step or None,
            c_call.longest if c_call is not None else None,
            note + (f"; longest C call: {c_call.name}" if c_call is not None and c_call.name else ""),
        )
        lines.append(made)
        return made

    # The fast path as it is today: one call.
    fast = Timing()
    for _ in range(repeats):
        fast.add(clock(lambda: json.loads(body)), clock(lambda: parse_run_response(body)))
    fast.longest_step = fast.wall.stage
    line(
        "parse_run_response (one call)",
        fast,
        "the longest step is the whole call",
        longest_c_call(lambda: parse_run_response(body)),
    )

    # A 1%-changed body after a previous parse; the unchanged body in between (also a 1% change).
    parser = primed(body)
    incremental = Timing()
    validated: list[int] = []
    reused: list[int] = []
    for k in range(repeats):
        for sent in (changed[k], body):
            incremental.add(clock(partial(json.loads, sent)), clock(partial(parser.parse, sent)))
            assert parser.stats.mode == "incremental", parser.stats.surprise
            validated.append(parser.stats.validated)
            reused.append(parser.stats.reused)
            if parser.stats.longest_step > incremental.longest_step:
                incremental.longest_step = parser.stats.longest_step
                incremental.longest_step_name = parser.stats.longest_step_name
    profiled = longest_c_call(lambda: parser.parse(changed[0]))
    parsed = parser.parse(body)
    assert parsed.response == parse_run_response(body).response
    line(
        "incremental parse, 1% changed",
        incremental,
        f"validated {statistics.median(validated):.0f}, reused {statistics.median(reused):.0f} elements; "
        f"longest step: {incremental.longest_step_name}",
        profiled,
    )

    # The first body: the fast path, then `index()` (which the poller runs after the first paint).
    first = Timing()
    index = Timing()
    for _ in range(max(1, repeats // 2)):
        fresh = IncrementalParser()
        floor = clock(lambda: json.loads(body))
        first.add(floor, clock(partial(fresh.parse, body)))
        index.add(clock(lambda: json.loads(body)), clock(fresh.index))
        first.longest_step = max(first.longest_step, fresh.stats.longest_step)
    fresh = IncrementalParser()
    fresh.parse(body)
    line("first body: fast path", first, "one call: as parse_run_response")
    line(
        "first body: index() after it",
        index,
        "offsets of every element, in small steps",
        longest_c_call(fresh.index),
    )

    stepped = Timing()
    for _ in range(max(1, repeats // 2)):
        fresh = IncrementalParser(first="stepped")
        stepped.add(clock(lambda: json.loads(body)), clock(partial(fresh.parse, body)))
        assert fresh.stats.mode == "stepped", fresh.stats.surprise
        if fresh.stats.longest_step > stepped.longest_step:
            stepped.longest_step = fresh.stats.longest_step
            stepped.longest_step_name = fresh.stats.longest_step_name
    line(
        "first body: first='stepped'",
        stepped,
        f"longest step: {stepped.longest_step_name}",
        longest_c_call(lambda: IncrementalParser(first="stepped").parse(body)),
    )

    # The UI's view: a 1 ms heartbeat on this thread while the parse runs in another.
    def gaps(stage: str, work: Callable[[int], object], note: str = "") -> None:
        results = [heartbeat_gap(partial(work, k)) for k in range(thread_repeats)]
        worst = max(gap for gap, _ in results)
        took = statistics.median(wall for _, wall in results)
        lines.append(
            Line(
                f"thread: {stage}",
                took,
                step=worst,
                note=f"longest heartbeat gap over {thread_repeats} runs{note}",
            )
        )

    gaps("parse_run_response", lambda k: parse_run_response(changed[k % len(changed)]))
    parser = primed(body)
    gaps(
        "incremental parse, 1% changed",
        lambda k: parser.parse(changed[k % len(changed)] if k % 2 == 0 else body),
    )
    gaps("first='stepped'", lambda k: IncrementalParser(first="stepped").parse(body))
    waiting: list[IncrementalParser] = []
    for _ in range(thread_repeats):
        waiting.append(IncrementalParser())
        waiting[-1].parse(body)
    gaps("index() after a fast first parse", lambda k: waiting[k].index())
    return len(body), lines


# -- output ------------------------------------------------------------------------------------

HEADER = f"{'stage':<42} {'time':>9} {'floor':>9} {'ratio':>6} {'cpu':>6} {'step':>9} {'C call':>9}  note"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def format_line(line: Line) -> str:
    return (
        f"{line.stage:<42} {fmt_seconds(line.time):>9} {fmt_seconds(line.floor):>9} "
        f"{fmt_ratio(line.ratio):>6} {fmt_ratio(line.cpu_ratio):>6} {fmt_seconds(line.step):>9} "
        f"{fmt_seconds(line.c_call):>9}  {line.note}"
    )


def one_size(name: str) -> None:
    size = SIZES[name]
    body_size, lines = measure(name)
    print(
        f"\n== {name}: {size.nodes:,} nodes, {size.executions:,} executions, "
        f"{body_size / 2**20:.1f} MiB of JSON =="
    )
    print(HEADER)
    for line in lines:
        print(format_line(line))
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.increment",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="L,XL", help="comma-separated: S, M, L, XL")
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        metavar="MS",
        help="sys.setswitchinterval for the runs, in ms (Python's default: 5)",
    )
    parser.add_argument("--one-size", metavar="SIZE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval / 1000)
    if args.one_size:
        one_size(args.one_size)
        return 0
    names = [name.strip().upper() for name in args.sizes.split(",") if name.strip()]
    unknown = [name for name in names if name not in SIZES]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)} (choose from {', '.join(SIZES)})")
    print(
        f"run-inspector incremental parse · Python {sys.version.split()[0]} · {os.cpu_count()} CPUs · "
        f"switch interval {sys.getswitchinterval() * 1000:.0f} ms · each size in a fresh process\n"
        "time/floor: wall medians (floor: json.loads of the same bytes, in turns); ratio: median of the "
        "pairs' ratios; cpu: the same with process time;\nstep: the longest step the parser timed "
        "(thread rows: the longest heartbeat gap); C call: the longest single C call (a profile hook)",
        flush=True,
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    started = time.perf_counter()
    for name in names:
        extra = [] if args.switch_interval is None else ["--switch-interval", str(args.switch_interval)]
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.increment", "--one-size", name, *extra],
            env=env,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            print(f"\n{name}: the benchmark process failed (exit {done.returncode})")
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
