"""Who holds the memory of an open run: tracemalloc by line and by file, and a census by type.

    python -m benchmarks.memory              # XL (about a minute: tracemalloc slows the parse)
    python -m benchmarks.memory --size L --top 15

Opens the run as the TUI's feed does (the real `Poller`, `findings=True`, one poll of a
running run) and keeps what the app keeps of it (the snapshot: graph, findings, body), then:

* tracemalloc (started before the body is read) grouped by file and line, and by file: what
  is still allocated, and where it was allocated (the raw body, the parsed executions, the
  graph's states and edges, the findings);
* a census of the live objects by type (count, and `sys.getsizeof` of each, shallow);
* the process's RSS and peak next to the body's size.

No threshold: the numbers go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as `python benchmarks/memory.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import SIZES, generate_size, to_bytes  # noqa: E402
from benchmarks.run import BodySource, _peak_rss  # noqa: E402
from run_inspector.poller import Poller, Snapshot  # noqa: E402

FRAMES = 30
"""Frames kept per allocation: enough to reach the project's own frame under pydantic's."""


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _short(filename: str) -> str:
    for marker in ("site-packages/", "run_inspector/", "benchmarks/", "lib/python3"):
        if marker in filename:
            return filename[filename.index(marker):]
    return filename


def by_own_frame(snapshot: tracemalloc.Snapshot, top: int) -> list[tuple[str, int, int]]:
    """Still-allocated memory grouped by the innermost frame in run_inspector/ or benchmarks/ (the
    project's call that made it), with the innermost frame of all (where it was made) after it."""
    sizes: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for stat in snapshot.statistics("traceback"):
        frames = list(reversed(stat.traceback))  # most recent call first
        own = next((f for f in frames if "run_inspector/" in f.filename or "benchmarks/" in f.filename), None)
        inner = frames[0]
        key = (f"{_short(own.filename)}:{own.lineno}" if own else "(outside the project)")
        if own is not inner:
            key += f"  ← {_short(inner.filename)}:{inner.lineno}"
        sizes[key] += stat.size
        counts[key] += stat.count
    return [(key, counts[key], size) for key, size in sizes.most_common(top)]


def census(top: int) -> list[tuple[str, int, int]]:
    """(type, count, shallow bytes) of the objects the collector tracks, and of their str/bytes
    members one level down (strings are not tracked themselves)."""
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    seen: set[int] = set()
    for obj in gc.get_objects():
        name = type(obj).__qualname__
        counts[name] += 1
        sizes[name] += sys.getsizeof(obj)
        members = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ()
        for member in members:
            if isinstance(member, (str, bytes)) and id(member) not in seen:
                seen.add(id(member))
                kind = type(member).__qualname__
                counts[kind] += 1
                sizes[kind] += sys.getsizeof(member)
    return [(name, counts[name], size) for name, size in sizes.most_common(top)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="XL", help=f"one of {', '.join(SIZES)} (default XL)")
    parser.add_argument("--top", type=int, default=12, help="lines per table (default 12)")
    args = parser.parse_args(argv)
    body = to_bytes(generate_size(args.size))
    size = len(body)
    body_mib = size / 2**20
    gc.collect()
    rss_before, peak_before = _rss(), _peak_rss()

    tracemalloc.start(FRAMES)
    snapshots: list[Snapshot] = []
    fixed = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    received = bytes(bytearray(body))  # what the network hands over: a body of its own
    del body
    source = BodySource([received])
    poller = Poller(source, source.root_uuid, on_snapshot=snapshots.append, now=lambda: fixed, findings=True)
    asyncio.run(poller.poll_once())
    del received
    source.bodies = []
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    traced, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after, peak_after = _rss(), _peak_rss()

    print(f"== {args.size}: {body_mib:.1f} MiB of JSON, opened as the TUI's poller does (snapshot kept) ==")
    print(f"RSS growth {(rss_after - rss_before) / 2**20:.0f} MiB ({(rss_after - rss_before) / size:.2f}x the JSON); "
          f"peak growth {(peak_after - peak_before) / 2**20:.0f} MiB; traced now {traced / 2**20:.0f} MiB, "
          f"traced peak {traced_peak / 2**20:.0f} MiB")
    print(f"\nby the project's line that allocated it (← the innermost line; still allocated; top {args.top})")
    for key, count, nbytes in by_own_frame(snapshot, args.top):
        print(f"{nbytes / 2**20:9.1f} MiB {count:>10,}  {key}")
    print(f"\nby file (top {args.top})")
    for stat in snapshot.statistics("filename")[: args.top]:
        print(f"{stat.size / 2**20:9.1f} MiB {stat.count:>10,}  {_short(stat.traceback[0].filename)}")
    gc.unfreeze()  # the poller froze the run: make its objects visible to gc.get_objects
    print(f"\nby type (live objects and the str/bytes they hold, shallow sizes; top {args.top})")
    for name, count, nbytes in census(args.top):
        print(f"{nbytes / 2**20:9.1f} MiB {count:>10,}  {name}")
    kept = snapshots[-1]
    print(f"\nthe raw body kept: by the poller (last body) {len(poller._last_body or b'') / 2**20:.1f} MiB, "
          f"by the snapshot {len(kept.body) / 2**20:.1f} MiB, same object: {poller._last_body is kept.body}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
