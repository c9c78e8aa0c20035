"""The benchmark runner: every stage of every size, side by side, in one run.

    python -m benchmarks.run                 # S, M, L and XL (a few minutes on 2 cores)
    python benchmarks/run.py --sizes S,M,L   # a subset
    python -m benchmarks.run --no-tui        # the core stages only
    python -m benchmarks.run --sizes L --stages keys,poll --quick   # issue 16's new rows on L
    python -m benchmarks.run --sizes S,M,L,XL,XXL-chain             # the growth table, S to XXL

Stages (`--stages`, default all): `core` (parse, build, --print, refreshes, memory), `tui`
(first paint, a 1%-changed refresh), `keys` (search, w, t, q on the app), `poll` (CPU per
poll of an unchanged running run through a loopback HTTP server, with and without the app).
With more than one size, a growth table follows: each stage's time per node and per
execution, and its ratio to the floor, size by size.

Each stage is timed against its floor in turns (floor, stage, floor, stage, ...) so that the
noise of a shared machine hits both alike, and is printed as the median time, the floor's
median and their ratio. The floor is `json.loads` of the same bytes unless the stage says
otherwise. See benchmarks/README.md for what each stage measures and why.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as `python benchmarks/run.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import SIZES, Size, generate_size, mutate_executions, to_bytes  # noqa: E402
from run_inspector.graph import RunGraph  # noqa: E402
from run_inspector.increment import IncrementalParser  # noqa: E402
from run_inspector.models import parse_run_response  # noqa: E402
from run_inspector.poller import Poller, Snapshot, diff_graphs  # noqa: E402
from run_inspector.source import RunSource  # noqa: E402

REPEATS = {"S": 15, "M": 9, "L": 7, "XL": 3, "XXL-chain": 2}
"""In-process repeats per size (the median is reported); XL takes seconds per repeat."""
SUBPROCESS_REPEATS = {"S": 5, "M": 5, "L": 3, "XL": 1, "XXL-chain": 1}
TUI_REPEATS = {"S": 3, "M": 3, "L": 3, "XL": 1, "XXL-chain": 1}
QUICK = {"repeats": 3, "subprocess": 2, "tui": 2}
"""`--quick`: at most this many repeats (L's rows in a few minutes)."""
STAGES = ("core", "tui", "keys", "poll")

# Both processes report their own peak RSS (Linux's VmHWM, read as they exit) on stderr.
_REPORT_PEAK = (
    "import atexit, sys\n"
    "def _peak():\n"
    "    try:\n"
    "        for line in open('/proc/self/status'):\n"
    "            if line.startswith('VmHWM:'): sys.stderr.write('\\nPEAK_RSS_KB ' + line.split()[1] + '\\n')\n"
    "    except OSError: pass\n"
    "atexit.register(_peak)\n"
)
PRINT_CODE = _REPORT_PEAK + "from run_inspector.cli import main; sys.exit(main())"
FLOOR_CODE = _REPORT_PEAK + "import json; json.load(open(sys.argv[1], 'rb'))"


# -- results ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a size's table."""

    stage: str
    value: float | None
    """Seconds, or for `unit="x"` a ratio measured directly (memory), or a count."""
    floor: float | None = None
    target: float | None = None
    """The highest passing ratio to the floor (or value, for `absolute` rows)."""
    note: str = ""
    unit: str = "s"
    """`s`: seconds; `x`: a multiple (memory); `n`: a count."""
    absolute: bool = False
    """The target applies to the value itself (e.g. 50 ms), not to a ratio."""
    passed: bool | None = None
    """Set for rows whose verdict is not a comparison (e.g. which labels were touched)."""
    pair_ratio: float | None = None
    """The median of the ratios of each (floor, stage) pair, when they were timed in turns."""

    @classmethod
    def of(cls, stage: str, pairs: Pairs, target: float | None = None, note: str = "") -> Row:
        return cls(stage, pairs.stage, pairs.floor, target, note, pair_ratio=pairs.ratio)

    @property
    def ratio(self) -> float | None:
        if self.unit == "x":
            return self.value
        if self.pair_ratio is not None:
            return self.pair_ratio
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "skip"
        if self.passed is not None:
            return "pass" if self.passed else "MISS"
        if self.target is None:
            return ""
        measured = self.value if self.absolute else self.ratio
        if measured is None:
            return ""
        return "pass" if measured <= self.target else "MISS"

    def miss_by(self) -> str:
        measured = self.value if self.absolute else self.ratio
        if self.target is None or measured is None or measured <= self.target:
            return ""
        return f"{measured / self.target:.1f}x over the target"


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def format_row(row: Row) -> str:
    if row.unit == "s":
        value = fmt_seconds(row.value)
    elif row.unit == "n":
        value = "—" if row.value is None else f"{row.value:.0f}"
    else:
        value = "—" if row.value is None else f"{row.value:.2f}x"
    floor = fmt_seconds(row.floor) if row.floor is not None else "—"
    ratio = "—" if row.ratio is None or row.unit == "n" else f"{row.ratio:.2f}x"
    if row.target is None:
        target = "—"
    elif row.absolute:
        target = f"≤ {fmt_seconds(row.target)}" if row.unit == "s" else f"≤ {row.target:g}"
    else:
        target = f"≤ {row.target:g}x"
    return (
        f"{row.stage:<44} {value:>10} {floor:>10} {ratio:>8} {target:>9} {row.verdict:>5}"
        + (f"  {row.note}" if row.note else "")
    )


HEADER = f"{'stage':<44} {'time':>10} {'floor':>10} {'ratio':>8} {'target':>9} {'':>5}"


# -- timing ----------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> float:
    """Seconds for one call; garbage from earlier calls is collected first, outside the timing."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


@dataclass
class Pairs:
    """A stage and its floor, timed in turns (floor, stage, floor, stage, ...)."""

    floors: list[float] = field(default_factory=list)
    stages: list[float] = field(default_factory=list)

    def add(self, floor: float, stage: float) -> None:
        self.floors.append(floor)
        self.stages.append(stage)

    @property
    def floor(self) -> float:
        return statistics.median(self.floors)

    @property
    def stage(self) -> float:
        return statistics.median(self.stages)

    @property
    def ratio(self) -> float:
        """The median of each pair's ratio: a burst of load on the shared machine hits a pair's
        two timings alike far more often than it hits two medians taken apart."""
        return statistics.median(stage / floor for floor, stage in zip(self.floors, self.stages, strict=True))


def paired(floor: Callable[[], object], stage: Callable[[], object], repeats: int) -> Pairs:
    pairs = Pairs()
    for _ in range(repeats):
        pairs.add(timed(floor), timed(stage))
    return pairs


class BodySource(RunSource):
    """A live run without a network: hands out prepared bodies in turn (the last one repeats)."""

    live = True
    description = "benchmark"

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies = bodies
        self.calls = 0
        self.root_uuid = json.loads(bodies[0])["run"]["uuid"]  # the poller checks every answer is it

    async def fetch_bytes(self, run_uuid: str) -> bytes:
        body = self.bodies[min(self.calls, len(self.bodies) - 1)]
        self.calls += 1
        return body


def _poller(source: RunSource, snapshots: list[Snapshot]) -> Poller:
    fixed = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    return Poller(source, source.root_uuid, on_snapshot=snapshots.append, now=lambda: fixed)


def graph_build(body: bytes, repeats: int) -> Pairs:
    """`RunGraph.build` of an already parsed response."""
    parsed = parse_run_response(body)
    return paired(lambda: json.loads(body), lambda: RunGraph.build(parsed), repeats)


def refresh_unchanged(body: bytes, repeats: int) -> tuple[Pairs, str]:
    """`Poller.poll_once` when the body is byte-for-byte the last one (a new bytes object)."""
    copies = [bytes(bytearray(body)) for _ in range(repeats)]  # what a network read hands over
    snapshots: list[Snapshot] = []
    poller = _poller(BodySource([body, *copies]), snapshots)

    pairs = asyncio.run(_time_polls(poller, body, repeats))
    note = f"{poller.status.unchanged} of {poller.status.polls - 1} polls skipped parsing"
    gc.unfreeze()  # the poller froze the first snapshot: leave the next stages a plain heap
    return pairs, note


def refresh_changed(body: bytes, changed: bytes, repeats: int) -> tuple[Pairs, str]:
    """`Poller.poll_once` when 1% of the executions changed: parse, build and diff."""
    bodies = [body] + [changed if i % 2 == 0 else body for i in range(repeats)]
    snapshots: list[Snapshot] = []
    poller = _poller(BodySource(bodies), snapshots)

    pairs = asyncio.run(_time_polls(poller, body, repeats))
    moved = len(snapshots[1].transitions) if len(snapshots) > 1 else 0
    stats = poller.parser.stats
    gc.unfreeze()
    return pairs, (f"{moved} node status transitions per refresh; {stats.mode} parse: "
                   f"{stats.validated:,} executions/nodes/values validated, {stats.reused:,} reused")


async def _time_polls(poller: Poller, body: bytes, repeats: int) -> Pairs:
    """After a first poll (which parses), `repeats` polls, each paired with a `json.loads`."""
    await poller.poll_once()
    pairs = Pairs()
    for _ in range(repeats):
        floor = timed(lambda: json.loads(body))
        gc.collect()
        start = time.perf_counter()
        await poller.poll_once()
        pairs.add(floor, time.perf_counter() - start)
    return pairs


def run_command(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    return time.perf_counter() - start, done


def _peak_of(done: subprocess.CompletedProcess[bytes]) -> int | None:
    """The peak RSS a process reported on its way out (`_REPORT_PEAK`), in bytes."""
    for line in reversed(done.stderr.decode("utf-8", "replace").splitlines()):
        if line.startswith("PEAK_RSS_KB "):
            return int(line.split()[1]) * 1024
    return None


def print_subprocess(path: Path, repeats: int) -> Row:
    """`run-inspector --file PATH --print` against `python -c 'json.load(...)'`, both as processes."""
    return print_rows(path, repeats)[0]


def print_rows(path: Path, repeats: int, target: float | None = 3.0) -> list[Row]:
    """`--print` against `python -c 'json.load(...)'` as processes: time, and peak RSS of each."""
    pairs = Pairs()
    peaks: list[tuple[int, int]] = []
    for _ in range(repeats):
        floor, floor_done = run_command([sys.executable, "-c", FLOOR_CODE, str(path)])
        stage, done = run_command([sys.executable, "-c", PRINT_CODE, "--file", str(path), "--print"])
        if done.returncode != 0:
            lines = [line for line in done.stderr.decode("utf-8", "replace").strip().splitlines()
                     if not line.startswith("PEAK_RSS_KB")] or ["(no output)"]
            return [Row("--print (subprocess)", None, note=f"failed, exit {done.returncode}: {lines[-1][:90]}")]
        pairs.add(floor, stage)
        floor_peak, stage_peak = _peak_of(floor_done), _peak_of(done)
        if floor_peak and stage_peak:
            peaks.append((floor_peak, stage_peak))
    rows = [Row.of("--print end to end (subprocess)", pairs, target, "floor: python -c json.load(...) as a process")]
    if peaks:
        floor_peak = statistics.median(p[0] for p in peaks)
        stage_peak = statistics.median(p[1] for p in peaks)
        rows.append(Row("peak RSS: --print vs the json.load process", stage_peak / floor_peak, unit="x",
                        note=f"{stage_peak / 2**20:.0f} MiB against {floor_peak / 2**20:.0f} MiB "
                             "(each process's VmHWM)"))
    return rows


# -- peak memory (in a fresh process) --------------------------------------------------------


def _peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes.

    Linux's VmHWM is the high-water mark of this process image. `ru_maxrss` is only the
    fallback: on Linux it carries over the parent's peak through fork and exec, so a probe
    started from a runner that has held a large run would report the runner's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def memory_probe(path: str, changed_path: str) -> dict[str, int]:
    """What `--memory-probe` prints: peak RSS growth while opening a run, then refreshing it,
    parsed as the poller does (`IncrementalParser`: the refresh reuses what did not change)."""
    before = _peak_rss()  # the interpreter and the imports
    parser = IncrementalParser()
    body = Path(path).read_bytes()
    graph = RunGraph.build(parser.parse(body))
    opened = _peak_rss()
    changed = Path(changed_path).read_bytes()
    new_graph = RunGraph.build(parser.parse(changed))
    diff_graphs(graph, new_graph, datetime.now(UTC))
    refreshed = _peak_rss()
    return {"size": len(body), "open": opened - before, "refresh": refreshed - before}


def memory_rows(path: Path, changed_path: Path) -> list[Row]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--memory-probe", str(path), str(changed_path)],
        capture_output=True, env=env, cwd=ROOT, check=False,
    )
    if done.returncode != 0:
        return [Row("peak memory", None, note=f"probe failed: {done.stderr.decode()[-120:]}")]
    found = json.loads(done.stdout)
    size = found["size"]
    return [
        Row("peak memory: open (read, parse, build)", found["open"] / size, target=6.0, unit="x",
            note=f"{found['open'] / 2**20:.0f} MiB peak RSS growth for {size / 2**20:.1f} MiB of JSON"),
        Row("peak memory: open + a 1%-changed refresh", found["refresh"] / size, unit="x",
            note="old and new graph alive together, as in a poller (unchanged parts shared)"),
    ]


# -- one size --------------------------------------------------------------------------------


@dataclass
class Prepared:
    size: Size
    body: bytes
    changed: bytes
    changed_nodes: set[str]
    path: Path
    changed_path: Path


def prepare(size: Size, workdir: Path) -> Prepared:
    data = generate_size(size)
    body = to_bytes(data)
    changed_data, touched = mutate_executions(data, 0.01)
    changed = to_bytes(changed_data)
    path = workdir / f"run_{size.name}.json"
    changed_path = workdir / f"run_{size.name}_changed.json"
    path.write_bytes(body)
    changed_path.write_bytes(changed)
    return Prepared(size, body, changed, touched, path, changed_path)


def core_rows(prepared: Prepared, repeats: int, subprocess_repeats: int) -> list[Row]:
    body = prepared.body
    rows: list[Row] = []
    floor = statistics.median(timed(lambda: json.loads(body)) for _ in range(repeats))
    rows.append(Row("json.loads (the floor)", floor, floor))

    pairs = paired(lambda: json.loads(body), lambda: parse_run_response(body), repeats)
    rows.append(Row.of("parse + validate", pairs, 2.0))

    rows.append(Row.of("graph build", graph_build(body, repeats), 0.5))

    rows.extend(print_rows(prepared.path, subprocess_repeats))

    pairs, note = refresh_unchanged(body, repeats)
    rows.append(Row.of("refresh, byte-identical body (poll_once)", pairs, 0.2, note))

    pairs, note = refresh_changed(body, prepared.changed, repeats)
    rows.append(Row.of("refresh, 1% changed: core (poll_once)", pairs, None, f"incremental parse + build + diff in a thread; {note}"))

    rows.extend(memory_rows(prepared.path, prepared.changed_path))
    return rows


def tui_rows(prepared: Prepared, repeats: int) -> list[Row]:
    try:
        from benchmarks import tui
    except ImportError as error:  # pragma: no cover - until the TUI lands
        return [Row("TUI stages", None, note=f"TUI not available ({error})")]
    return tui.rows(prepared.size.name, prepared.body, prepared.changed, prepared.changed_nodes, repeats)


def key_rows(prepared: Prepared, repeats: int) -> list[Row]:
    from benchmarks import tui

    return tui.key_rows(prepared.body, repeats)


def poll_rows(prepared: Prepared, polls: int) -> list[Row]:
    from benchmarks import poll

    return poll.rows(prepared.body, polls)


TARGETED_SIZE = "L"
"""The issue sets its ratio targets on L; XL has only its UI-step limit (set in the TUI rows)."""


def only_targets_of(size: str, rows: list[Row]) -> list[Row]:
    """Keep the targets that apply to `size`: all on L, the 200 ms UI steps on XL, none on S/M.

    Which lines a refresh relabels is a correctness check, kept at every size (so is whether
    the search count is exact).
    """
    if size == TARGETED_SIZE:
        return rows
    for row in rows:
        if size == "XL" and row.absolute and row.stage.startswith(("refresh", "idle")):
            continue
        row.target = None
    return rows


def run_size(size: Size, workdir: Path, *, repeats: int, subprocess_repeats: int, with_tui: bool,
             tui_repeats: int = 3, stages: Iterable[str] = ("core", "tui")) -> list[Row]:
    stages = set(stages)
    if not with_tui:
        stages -= {"tui", "keys", "poll"}
    prepared = prepare(size, workdir)
    rows: list[Row] = []
    if "core" in stages:
        rows.extend(core_rows(prepared, repeats, subprocess_repeats))
    elif "keys" in stages or "poll" in stages:  # the floor row, for the growth table
        floor = statistics.median(timed(lambda: json.loads(prepared.body)) for _ in range(repeats))
        rows.append(Row("json.loads (the floor)", floor, floor))
    if "tui" in stages:
        rows.extend(tui_rows(prepared, tui_repeats))
    if "keys" in stages:
        rows.extend(key_rows(prepared, tui_repeats))
    if "poll" in stages:
        rows.extend(poll_rows(prepared, polls=max(3, 2 * tui_repeats)))
    return only_targets_of(size.name, rows)


def print_table(size: Size, body_size: int, rows: Iterable[Row]) -> None:
    print(f"\n== {size.name}: {size.nodes:,} nodes, {size.executions:,} executions, "
          f"{body_size / 2**20:.1f} MiB of JSON ==")
    print(HEADER)
    for row in rows:
        print(format_row(row))


def size_named(name: str) -> Size | None:
    """A size by its name, in any case (`xxl-chain`)."""
    return next((size for key, size in SIZES.items() if key.upper() == name.strip().upper()), None)


def one_size(name: str, with_tui: bool, misses_file: Path, *, stages: Iterable[str] = STAGES,
             quick: bool = False, results_file: Path | None = None) -> None:
    """Run and print one size; append its misses (one per line) to `misses_file`, and its rows
    (as JSON lines, for the growth table) to `results_file`."""
    size = SIZES[name]
    repeats, subprocess_repeats, tui_repeats = REPEATS[name], SUBPROCESS_REPEATS[name], TUI_REPEATS[name]
    if quick:
        repeats = min(repeats, QUICK["repeats"])
        subprocess_repeats = min(subprocess_repeats, QUICK["subprocess"])
        tui_repeats = min(tui_repeats, QUICK["tui"])
    with tempfile.TemporaryDirectory(prefix="run-inspector-bench-") as tmp:
        rows = run_size(size, Path(tmp), repeats=repeats, subprocess_repeats=subprocess_repeats,
                        with_tui=with_tui, tui_repeats=tui_repeats, stages=stages)
        body_size = (Path(tmp) / f"run_{name}.json").stat().st_size
        print_table(size, body_size, rows)
    with misses_file.open("a", encoding="utf-8") as out:
        for row in rows:
            if row.verdict == "MISS":
                out.write(f"{name}: {row.stage} ({row.miss_by() or 'see the note'})\n")
    if results_file is not None:
        with results_file.open("a", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps({"size": name, "nodes": size.nodes, "executions": size.executions,
                                      "bytes": body_size, "stage": row.stage, "value": row.value,
                                      "floor": row.floor, "ratio": row.ratio, "unit": row.unit}) + "\n")


# -- growth across sizes ----------------------------------------------------------------------

GROWTH_LIMIT = 1.5
"""A stage whose cost relative to `json.loads` grows by more than this from one size to the next
(XL to XXL above all) is flagged as not linear."""
GROWTH_FLOOR = 0.1
"""Below this many `json.loads` of the same bytes a stage is too small to judge (noise)."""


def _us(micros: float) -> str:
    """Microseconds in 7 characters."""
    return f"{micros:>7.1f}" if micros < 10_000 else f"{micros / 1000:>5.0f}ms"


_SIZE_LINE = re.compile(r"^== (\S+): ([\d,]+) nodes, ([\d,]+) executions, ([\d.]+) MiB of JSON ==$")
_ROW = re.compile(r"^(.+?)\s+([\d.]+) (µs|ms|s)\s+(?:[\d.]+ (?:µs|ms|s)|—)\s+(?:[\d.]+x|—)\s")
"""A printed row whose value is a time: the stage (a name may be longer than its column), the
time and its unit; then the floor and the ratio."""


def results_from_printed(text: str) -> list[dict[str, object]]:
    """The rows of `benchmarks.run`'s printed tables (as pasted in benchmarks/README.md), in the
    form the growth table reads: a past run's output can be looked at again."""
    results: list[dict[str, object]] = []
    size: dict[str, object] | None = None
    for line in text.splitlines():
        if found := _SIZE_LINE.match(line.strip()):
            name, nodes, executions, mib = found.groups()
            size = {"size": name, "nodes": int(nodes.replace(",", "")),
                    "executions": int(executions.replace(",", "")), "bytes": int(float(mib) * 2**20)}
            continue
        if size is None or line.startswith(("stage ", "==")):
            continue
        if timed_value := _ROW.match(line):
            stage, number, unit = timed_value.groups()
            seconds = float(number) * {"µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit]
            results.append({**size, "stage": stage.strip(), "value": seconds, "floor": None, "ratio": None, "unit": "s"})
    return results


def growth_table(results: list[dict[str, object]]) -> list[str]:
    """Each stage size by size: time per node, and its cost in `json.loads` of the same bytes.

    Every timed row is divided by the `json.loads` floor of its own size (not by its own
    floor, which for a key is a constant: a minimal app's key), so the second number is the
    stage's cost relative to the input's size. `json.loads` is linear in the bytes: a stage
    whose multiple keeps growing grows faster than its input, and is flagged when it grows by
    more than `GROWTH_LIMIT` from one size to the next.
    """
    sizes: list[str] = []
    loads: dict[str, float] = {}
    for result in results:
        if result["size"] not in sizes:
            sizes.append(str(result["size"]))
        if result["stage"] == "json.loads (the floor)" and isinstance(result["value"], (int, float)):
            loads[str(result["size"])] = float(result["value"])
    if len(sizes) < 2:
        return []
    by_stage: dict[str, dict[str, dict[str, object]]] = {}
    for result in results:
        if result["unit"] == "s" and isinstance(result["value"], (int, float)) and result["value"] > 0:
            by_stage.setdefault(str(result["stage"]), {})[str(result["size"])] = result
    lines = ["", "== growth: µs per node / per execution, and the time in json.loads of the same bytes, size by size ==",
             f"{'stage':<44} " + " ".join(f"{name:>23}" for name in sizes) + "  linear?"]
    for stage, per_size in by_stage.items():
        if stage == "json.loads (the floor)":
            lines.append(f"{stage:<44} " + " ".join(
                f"{_us(float(per_size[n]['value']) / int(per_size[n]['nodes']) * 1e6)}/"  # type: ignore[arg-type, call-overload]
                f"{_us(float(per_size[n]['value']) / int(per_size[n]['executions']) * 1e6)}{'':>8}"  # type: ignore[arg-type, call-overload]
                if n in per_size else f"{'—':>23}" for n in sizes))
            continue
        cells: list[str] = []
        multiples: list[tuple[str, float]] = []
        for name in sizes:
            found = per_size.get(name)
            if found is None or name not in loads:
                cells.append(f"{'—':>23}")
                continue
            value = float(found["value"])  # type: ignore[arg-type]
            per_node = value / int(found["nodes"]) * 1e6  # type: ignore[call-overload]
            per_execution = value / int(found["executions"]) * 1e6  # type: ignore[call-overload]
            multiple = value / loads[name]
            multiples.append((name, multiple))
            cells.append(f"{_us(per_node)}/{_us(per_execution)} {multiple:>7.2f}x")
        flags = [f"{b[0]} {b[1] / a[1]:.1f}x {a[0]}" for a, b in itertools.pairwise(multiples)
                 if b[1] >= GROWTH_FLOOR and b[1] / a[1] > GROWTH_LIMIT]
        lines.append(f"{stage[:44]:<44} " + " ".join(cells) + ("  NOT LINEAR: " + ", ".join(flags) if flags else "  yes"))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S,M,L,XL", help=f"comma-separated: {', '.join(SIZES)}")
    parser.add_argument("--stages", default=",".join(STAGES),
                        help=f"comma-separated, of {', '.join(STAGES)} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help=f"fewer repeats (at most {QUICK['repeats']} in process, {QUICK['subprocess']} "
                             f"processes, {QUICK['tui']} app sessions)")
    parser.add_argument("--no-tui", action="store_true", help="skip the stages that start the app (tui, keys, poll)")
    parser.add_argument("--memory-probe", nargs=2, metavar=("BODY", "CHANGED"), help=argparse.SUPPRESS)
    parser.add_argument("--one-size", nargs=2, metavar=("SIZE", "MISSES_FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--growth-from", type=Path, metavar="OUTPUT",
                        help="print the growth table of a past run's printed output, and stop")
    args = parser.parse_args(argv)
    if args.growth_from:
        for line in growth_table(results_from_printed(args.growth_from.read_text(encoding="utf-8"))):
            print(line)
        return 0
    stages = [stage.strip().lower() for stage in args.stages.split(",") if stage.strip()]
    if unknown_stages := [stage for stage in stages if stage not in STAGES]:
        parser.error(f"unknown stage {', '.join(unknown_stages)} (choose from {', '.join(STAGES)})")
    if args.memory_probe:
        print(json.dumps(memory_probe(*args.memory_probe)))
        return 0
    if args.one_size:
        one_size(args.one_size[0], not args.no_tui, Path(args.one_size[1]), stages=stages, quick=args.quick,
                 results_file=args.results)
        return 0
    chosen = [(name, size_named(name)) for name in args.sizes.split(",") if name.strip()]
    unknown = [name for name, size in chosen if size is None]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)} (choose from {', '.join(SIZES)})")
    names = [size.name for _, size in chosen if size is not None]
    print(f"run-inspector benchmarks · Python {sys.version.split()[0]} · {os.cpu_count()} CPUs · "
          f"medians of {'/'.join(names)} = {'/'.join(str(REPEATS[n]) for n in names)} repeats"
          f"{' (--quick: at most ' + str(QUICK['repeats']) + ')' if args.quick else ''} · "
          f"stages {','.join(stages)} · each size in a fresh process", flush=True)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory(prefix="run-inspector-bench-") as tmp:
        misses_file = Path(tmp) / "misses.txt"
        misses_file.touch()
        results_file = Path(tmp) / "results.jsonl"
        results_file.touch()
        for name in names:
            # A fresh process per size: the heap an earlier size left (an XL run is over a GB,
            # the TUI stages load Textual) would slow the next one's Python-heavy stages.
            argv_child = [sys.executable, "-m", "benchmarks.run", "--one-size", name, str(misses_file),
                          "--results", str(results_file), "--stages", ",".join(stages)]
            argv_child += (["--no-tui"] if args.no_tui else []) + (["--quick"] if args.quick else [])
            done = subprocess.run(argv_child, env=env, cwd=ROOT, check=False)
            if done.returncode != 0:
                print(f"\n{name}: the benchmark process failed (exit {done.returncode})")
                with misses_file.open("a", encoding="utf-8") as out:
                    out.write(f"{name}: the benchmark process failed\n")
        misses = misses_file.read_text(encoding="utf-8").splitlines()
        results = [json.loads(line) for line in results_file.read_text(encoding="utf-8").splitlines() if line]
    for line in growth_table(results):
        print(line)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.", end=" ")
    print("Misses: " + "; ".join(misses) if misses else "Every target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
