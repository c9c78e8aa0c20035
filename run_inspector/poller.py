"""Polling a run: one fetch at a time, calm back-off, and the transitions between polls.

No Textual import. `Poller.run()` is a loop that sleeps *after* each fetch, so requests never
overlap and a slow server never starves it (the pattern TEXTUAL_FACTS recommends over a
`set_interval` driving an exclusive worker). The clock and the sleep are injectable, so tests
drive it with a fake clock.

A body that is byte-for-byte the same as the last one is not parsed again: the poller keeps
the last body and reports only that the poll succeeded. Comparing the bytes is exact and
costs a memcmp (about a thousandth of parsing them; hashing a 16 MB body took a sixth), and
the body was in memory next to its parsed graph anyway.

A body that did change is digested (parsed, built into a graph, diffed, and optionally its
findings computed) in a worker thread, so a big run never stalls the caller's event loop: the
TUI keeps answering keys while a 135 MB body is read. Parsing is incremental
(`IncrementalParser`): a live run's next body mostly repeats the last one, and the unchanged
executions are reused as they are, in small steps that never hold the GIL for long.
"""

from __future__ import annotations

import asyncio
import gc
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .errors import (
    FetchError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RunMismatchError,
)
from .findings import Finding, compute_findings
from .graph import RunGraph
from .increment import IncrementalParser
from .models import ACTIVE_STATUSES, TERMINAL_STATUSES, collector_paused
from .sanitize import one_line
from .source import FileSource, RunSource


@dataclass(frozen=True)
class Transition:
    """A status change seen between two polls. `node_uuid` None is the run itself."""

    at: datetime
    node_uuid: str | None
    title: str
    old: str | None
    new: str


@dataclass
class Snapshot:
    graph: RunGraph
    transitions: list[Transition]
    fetched_at: datetime
    size: int
    body: bytes = b""
    """The response as fetched: what a saved bundle holds (it never contains the token)."""
    findings: list[Finding] | None = None
    """`compute_findings` of the graph, when the poller was asked for them (the TUI is)."""


@dataclass
class PollStatus:
    state: str
    """`loading`, `live`, `paused`, `stale` (last fetch failed, retrying), `waiting` (the run is
    not there yet), `finished` (terminal, polling stopped), `static` (a file), `failed` (gave up)."""
    last_success: datetime | None = None
    error: FetchError | None = None
    retry_in: float | None = None
    next_poll_in: float | None = None
    polls: int = 0
    unchanged: int = 0
    """How many polls returned a byte-identical body (parsing skipped)."""
    note: str | None = None
    """Why polling stopped, when it is not plain (a status nobody knows that stopped changing)."""


def diff_graphs(old: RunGraph | None, new: RunGraph, at: datetime) -> list[Transition]:
    """Status transitions of the run and of each node between two graphs."""
    out: list[Transition] = []
    old_status = old.summary.status if old is not None else None
    if old_status != new.summary.status:
        out.append(Transition(at, None, "run", old_status, new.summary.status))
    if old is None:
        return out
    for uuid, state in new.states.items():
        previous = old.states.get(uuid)
        before = previous.status if previous is not None else None
        name = state.slug or state.title
        # An earlier attempt that ended while a retry took over is hidden by the node's
        # aggregate status; report it on its own so a watcher sees every failure.
        old_executions = previous.executions if previous is not None else []
        for index, execution in enumerate(state.executions[:-1]):
            was = old_executions[index].status if index < len(old_executions) else None
            if (
                execution.status != was
                and execution.status in TERMINAL_STATUSES
                and execution.status != "success"
            ):
                out.append(
                    Transition(at, uuid, f"{name} (attempt {index + 1})", was, execution.status or "unknown")
                )
        if before != state.status and (previous is not None or state.executions):
            out.append(Transition(at, uuid, name, before, state.status))
    return out


def _names_itself(source: RunSource, run_uuid: str) -> bool:
    """True for a file's own run, asked for without a uuid (`(file)`): its answer names it."""
    return isinstance(source, FileSource) and run_uuid == source.root_uuid


def check_run_uuid(expected: str, got: str | None) -> None:
    """Raise `RunMismatchError` when an answer is another run than the one asked for (a
    response without a uuid cannot be checked, and is let through)."""
    if isinstance(got, str) and got.casefold() != expected.casefold():
        raise RunMismatchError(expected, got)


class _Stopped(Exception):
    """Raised between two parse steps once the poller is stopped: nobody wants the result."""


class _StopFlag:
    """Set by `Poller.stop`; checked by the parser between steps.

    A separate object, so that the parser's step callback does not point back at the poller:
    that cycle (poller → parser → bound method → poller) made every poller cyclic garbage once
    dropped, and a poller frozen by its own first `gc.freeze` is never collected, run, body and
    all: 47 MB a refresh (`r`) on a 5,000-node run.
    """

    __slots__ = ("stopped",)

    def __init__(self) -> None:
        self.stopped = False

    def check(self, step: str, seconds: float) -> None:
        if self.stopped:
            raise _Stopped(step)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Backoff:
    """Exponential back-off with jitter, capped; a server's Retry-After wins, down to a floor.

    Never less than `floor` (the poller sets its poll interval), nor than
    `RateLimitedError.min_wait` after a 429: a `Retry-After: 0` made the TUI ask 2,123 times in
    10 s.
    """

    base: float = 2.0
    cap: float = 60.0
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)
    floor: float = 0.0

    def next_delay(self, error: FetchError) -> float:
        self.failures += 1
        floor = self.floor
        if isinstance(error, RateLimitedError):
            floor = max(floor, error.min_wait)
            if error.retry_after is not None:
                return max(float(min(error.retry_after, self.cap * 5)), floor)
        delay: float = min(self.base * 2.0 ** (self.failures - 1), self.cap)
        return max(delay * (0.75 + 0.5 * self.rng.random()), floor)

    def reset(self) -> None:
        self.failures = 0


class Poller:
    """Fetch a run until it is terminal; report snapshots and poll state through callbacks."""

    def __init__(
        self,
        source: RunSource,
        run_uuid: str,
        *,
        interval: float = 2.0,
        on_snapshot: Callable[[Snapshot], None],
        on_status: Callable[[PollStatus], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] = _utcnow,
        backoff: Backoff | None = None,
        not_found_limit: int = 10,
        error_limit: int | None = None,
        still_limit: int = 10,
        threaded: bool = True,
        findings: bool = False,
        parent: RunGraph | None = None,
        freeze: bool = True,
    ) -> None:
        self.source = source
        self.run_uuid = run_uuid
        if not math.isfinite(interval) or interval <= 0:  # `max(nan, 0.05)` is nan: sleep(nan) fails
            raise ValueError("interval must be a positive number of seconds")
        self.interval = max(interval, 0.05)
        self.on_snapshot = on_snapshot
        self.on_status = on_status or (lambda status: None)
        self._sleep = sleep
        self._now = now
        self.backoff = backoff or Backoff(base=max(self.interval, 1.0))
        self.backoff.floor = max(self.backoff.floor, self.interval)
        self.not_found_limit = not_found_limit
        """A run just created may 404 for a moment: keep asking this many times."""
        self.error_limit = error_limit
        """Give up after this many failures in a row (None: never, for the TUI)."""
        self.still_limit = still_limit
        """A run whose status is not a known one ends after this many polls in a row in which
        nothing changed (see `_finished`)."""
        self._still = 0
        self.expected_uuid: str | None = None if _names_itself(source, run_uuid) else run_uuid
        """The run every answer must be (`RunMismatchError` otherwise). A file's first answer
        names it, as the file's run has no uuid to ask for."""
        self.threaded = threaded
        """Digest new bodies in a worker thread (off the caller's event loop)."""
        self.with_findings = findings
        self.parent = parent
        """The run that started this one, when at hand: the findings check what it reads of it."""
        self.freeze = freeze
        """`gc.freeze()` after each new snapshot (see `_digest`)."""
        self.status = PollStatus("loading")
        self.graph: RunGraph | None = None
        self._stop = _StopFlag()
        self.parser = IncrementalParser(on_step=self._stop.check)
        self._last_body: bytes | None = None
        self._wake = asyncio.Event()
        self._resumed = asyncio.Event()
        self._resumed.set()

    # -- intents --------------------------------------------------------------------------

    def pause(self) -> None:
        if self.status.state in ("finished", "static", "failed"):
            return
        self._resumed.clear()
        self._set_state("paused")

    def resume(self) -> None:
        if not self._resumed.is_set():
            self._resumed.set()
            self._wake.set()

    def toggle_pause(self) -> None:
        if self._resumed.is_set():
            self.pause()
        else:
            self.resume()

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    def refresh_now(self) -> None:
        """Fetch at once instead of waiting for the next tick."""
        self._wake.set()

    def stop(self) -> None:
        """Stop polling, and let go of the run: whatever still points at a stopped poller (a
        finished worker, a callback) no longer keeps the run, its body and parse state alive."""
        self._stop.stopped = True
        self._resumed.set()
        self._wake.set()
        self._release()

    @property
    def _stopped(self) -> bool:
        return self._stop.stopped

    def _release(self) -> None:
        self.graph = None
        self._last_body = None
        self.parser = IncrementalParser(on_step=self._stop.check)  # a parse in flight keeps the old one

    # -- the loop -------------------------------------------------------------------------

    async def poll_once(self) -> bool:
        """One fetch. Returns True when the run is over (or the source never changes).

        Raises `RunMismatchError` (the run kept as it was) when the answer is another run.
        """
        self._wake.clear()
        body = await self.source.fetch_bytes(self.run_uuid)
        at = self._now()
        self.status.polls += 1
        changed = False
        if body == self._last_body and self.graph is not None:
            self.status.unchanged += 1
            graph = self.graph
        else:
            if self.threaded:
                snapshot = await asyncio.to_thread(self._digest, body, at)
            else:
                snapshot = self._digest(body, at)
            if self._stopped:
                raise _Stopped("stopped while digesting")  # nobody wants it, and it was let go
            graph = snapshot.graph
            self._check_run_uuid(graph)
            self.graph = graph
            self._last_body = body
            self.on_snapshot(snapshot)
            changed = bool(snapshot.transitions)
        self.status.last_success = at
        self.status.error = None
        self.status.retry_in = None
        self.backoff.reset()
        return (not self.source.live) or self._finished(graph, changed)

    def _check_run_uuid(self, graph: RunGraph) -> None:
        """Every answer must be the run asked for: a proxy or cache that mixes up responses
        would otherwise show another run's transitions as this one's (and `s` save it under
        the wrong name). A response without a uuid cannot be checked, and is let through."""
        got = graph.run.uuid
        if not isinstance(got, str):
            return
        if self.expected_uuid is None:
            self.expected_uuid = got
        else:
            check_run_uuid(self.expected_uuid, got)

    def _finished(self, graph: RunGraph, changed: bool) -> bool:
        """Whether the run is over, from its status and `finishedAt`.

        A known terminal status ends it; a known active one never does. A status nobody
        documented (`timed_out`) ends it when the run has a `finishedAt`; otherwise after
        `still_limit` polls in a row in which nothing changed (no status of the run or of a
        node), with a note saying so. Before, such a run kept `--watch` polling forever.
        """
        status = graph.summary.status
        if status in TERMINAL_STATUSES:
            return True
        if status in ACTIVE_STATUSES:
            self._still = 0
            return False
        if graph.summary.finished_at is not None:
            return True
        self._still = 0 if changed else self._still + 1
        if self._still < self.still_limit:
            return False
        self.status.note = (
            f"the run's status {one_line(status, 40)!r} is not one run-inspector knows, and nothing "
            f"changed in {self._still} polls: stopped following it (it may still be running)"
        )
        return True

    def _digest(self, body: bytes, at: datetime) -> Snapshot:
        """Parse, build, diff (and find): everything a new body costs, in one call for a thread.

        A body parsed from scratch (the first of this poller, or one the incremental parser
        could not follow) is then taken out of the cycle collector's sight (`gc.freeze`). Its
        objects hold no reference cycles (a test checks), so reference counting frees them;
        otherwise each of the collector's full passes would walk all of them while holding the
        GIL: 100+ ms at 20k executions, about a second at 200k, a freeze of the UI however the
        work is threaded. Later bodies reuse those objects and add few of their own (the changed
        executions, the new graph), so they are not frozen (freezing every poll leaked ~40 KB a
        poll, see benchmarks/README.md).

        Whatever else is alive at a freeze (asyncio tasks, widgets, an earlier poller) is frozen
        with it, and what of that later dies inside a reference cycle is never reclaimed while
        frozen. A poller used to be such a cycle itself: every refresh (`r`) or run switch, a
        new poller, pinned the previous one with its whole run (12 refreshes of a 5,000-node run:
        RSS 173 → 732 MB in the TUI). The poller holds no cycle now, and lets go of its run when
        stopped; and before a freeze that follows an earlier one, `gc.unfreeze()` and one full
        `gc.collect()` reclaim what died in between (~700 objects a refresh in the TUI). That
        collection costs one walk of what is alive (~60 ms for a 5,000-node run, ~100 ms for
        200k executions, twice that while the previous run is still on screen), only where a
        freeze follows, never per poll; the first poller of a process has nothing frozen and
        skips it. Measured: 20 pollers in a row on a 5,000-node run stay flat
        (tests/test_poller.py), and 12 refreshes in the TUI stay at 219 MB.
        """
        with collector_paused():
            parsed = self.parser.parse(body)
            graph = RunGraph.build(parsed, now=at, snapshot=not self.source.live)
            transitions = diff_graphs(self.graph, graph, at)
            findings = compute_findings(graph, now=at, parent=self.parent) if self.with_findings else None
            if self.freeze and self.parser.stats.mode != "incremental":
                if gc.get_freeze_count():
                    # What an earlier freeze pinned and has died since (inside a cycle: a
                    # finished worker, a dropped widget) is collected before this freeze would
                    # pin it again (see the docstring).
                    gc.unfreeze()
                    gc.collect()
                gc.freeze()
            else:
                # The young generations now hold this body's new objects (the collector was
                # paused): sort them here, in the worker, rather than in a pass that would land
                # in the middle of the UI's handling of the snapshot (~25-40 ms at 200k).
                gc.collect(1)
        return Snapshot(graph, transitions, at, len(body), body, findings)

    async def run(self) -> None:
        """Poll until the run is terminal (or, for a file, once), or until `stop`."""
        not_found = 0
        while not self._stopped:
            await self._resumed.wait()
            if self._stopped:
                return
            delay = self.interval
            try:
                done = await self.poll_once()
            except asyncio.CancelledError:
                raise
            except _Stopped:
                return
            except FetchError as error:
                delay, give_up = self._on_error(error, not_found)
                if isinstance(error, NotFoundError):
                    not_found += 1
                if give_up:
                    self._set_state("failed", error=error)
                    return
                self.status.retry_in = delay
                self._set_state("waiting" if isinstance(error, NotFoundError) else "stale", error=error)
            else:
                not_found = 0
                if done:
                    self.status.next_poll_in = None
                    self._set_state("finished" if self.source.live else "static")
                    return
                self.status.next_poll_in = delay
                self._set_state("paused" if self.paused else "live")
            await self._pause_for(delay)

    def _on_error(self, error: FetchError, not_found: int) -> tuple[float, bool]:
        if isinstance(error, NotFoundError):
            give_up = self.graph is not None or not_found + 1 >= self.not_found_limit or not self.source.live
            return self.interval, give_up
        if not error.retryable and not isinstance(error, (InvalidResponseError, NetworkError)):
            return 0.0, True  # 401/403/other 4xx: asking again will not help
        if not self.source.live:
            return 0.0, True
        if self.error_limit is not None and self.backoff.failures + 1 >= self.error_limit:
            return 0.0, True
        return self.backoff.next_delay(error), False

    async def _pause_for(self, delay: float) -> None:
        """Sleep `delay` seconds, or less when `refresh_now`, `resume` or `stop` is called."""
        if self._wake.is_set():
            return
        sleeper = asyncio.ensure_future(self._sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    def _set_state(self, state: str, *, error: FetchError | None = None) -> None:
        self.status.state = state
        if error is not None:
            self.status.error = error
        self.on_status(self.status)
