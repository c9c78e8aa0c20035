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
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .errors import FetchError, InvalidResponseError, NetworkError, NotFoundError, RateLimitedError
from .findings import Finding, compute_findings
from .graph import RunGraph
from .increment import IncrementalParser
from .models import TERMINAL_STATUSES, collector_paused
from .source import RunSource


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


class _Stopped(Exception):
    """Raised between two parse steps once the poller is stopped: nobody wants the result."""


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
        threaded: bool = True,
        findings: bool = False,
        freeze: bool = True,
    ) -> None:
        self.source = source
        self.run_uuid = run_uuid
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
        self.threaded = threaded
        """Digest new bodies in a worker thread (off the caller's event loop)."""
        self.with_findings = findings
        self.freeze = freeze
        """`gc.freeze()` after each new snapshot (see `_digest`)."""
        self.status = PollStatus("loading")
        self.graph: RunGraph | None = None
        self.parser = IncrementalParser(on_step=self._check_stopped)
        self._last_body: bytes | None = None
        self._wake = asyncio.Event()
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._stopped = False

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
        self._stopped = True
        self._resumed.set()
        self._wake.set()

    # -- the loop -------------------------------------------------------------------------

    async def poll_once(self) -> bool:
        """One fetch. Returns True when the run is terminal (or the source never changes)."""
        self._wake.clear()
        body = await self.source.fetch_bytes(self.run_uuid)
        at = self._now()
        self.status.polls += 1
        if body == self._last_body and self.graph is not None:
            self.status.unchanged += 1
        else:
            if self.threaded:
                snapshot = await asyncio.to_thread(self._digest, body, at)
            else:
                snapshot = self._digest(body, at)
            self.graph = snapshot.graph
            self._last_body = body
            self.on_snapshot(snapshot)
        self.status.last_success = at
        self.status.error = None
        self.status.retry_in = None
        self.backoff.reset()
        return (not self.source.live) or self.graph.summary.status in TERMINAL_STATUSES

    def _digest(self, body: bytes, at: datetime) -> Snapshot:
        """Parse, build, diff (and find): everything a new body costs, in one call for a thread.

        A body parsed from scratch (the first, or one the incremental parser could not follow)
        is then taken out of the cycle collector's sight (`gc.freeze`). Its objects hold no
        reference cycles (a test checks), so reference counting frees them; otherwise each of
        the collector's full passes would walk all of them while holding the GIL: 100+ ms at
        20k executions, about a second at 200k, a freeze of the UI however the work is
        threaded. Later bodies reuse those objects and add few of their own (the changed
        executions, the new graph), so they are not frozen: whatever else is alive at a freeze
        (asyncio tasks, widgets) is frozen with it, and what of that is later dropped inside a
        reference cycle is never reclaimed (~330 objects a freeze; freezing every poll leaked
        ~40 KB a poll, see benchmarks/README.md).
        """
        with collector_paused():
            parsed = self.parser.parse(body)
            graph = RunGraph.build(parsed, now=at)
            transitions = diff_graphs(self.graph, graph, at)
            findings = compute_findings(graph, now=at) if self.with_findings else None
            if self.freeze and self.parser.stats.mode != "incremental":
                gc.freeze()
            else:
                # The young generations now hold this body's new objects (the collector was
                # paused): sort them here, in the worker, rather than in a pass that would land
                # in the middle of the UI's handling of the snapshot (~25-40 ms at 200k).
                gc.collect(1)
        return Snapshot(graph, transitions, at, len(body), body, findings)

    def _check_stopped(self, step: str, seconds: float) -> None:
        if self._stopped:
            raise _Stopped(step)

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
