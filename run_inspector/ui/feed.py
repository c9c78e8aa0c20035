"""The feed: a widget with nothing to draw that owns the poller of the run on screen.

`RunFeed.start(run_uuid)` makes a core `Poller` for the app's source and runs it in a worker;
each snapshot and each poll state comes back as a message (`SnapshotArrived`,
`StatusChanged`; `Crashed` if the poller itself fails). A feed started again (another run,
or `r` on a file) drops what its earlier pollers still send, so a late answer for a run no
longer shown never lands. Tests drive it with a source, as the CLI does.
"""

from __future__ import annotations

import time
from dataclasses import replace

from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from ..graph import RunGraph
from ..lineage import load_lineage
from ..poller import Poller, PollStatus, Snapshot
from ..resources import Lineage
from ..source import RunSource

LINEAGE_EVERY = 5.0
"""While a run (or its batch) is at work, its lineage is asked again at most this often."""


class RunFeed(Widget):
    DEFAULT_CSS = "RunFeed { display: none; }"

    class SnapshotArrived(Message):
        def __init__(self, snapshot: Snapshot, generation: int) -> None:
            super().__init__()
            self.snapshot = snapshot
            self.generation = generation

    class StatusChanged(Message):
        def __init__(self, status: PollStatus, generation: int) -> None:
            super().__init__()
            self.status = status
            self.generation = generation

    class LineageArrived(Message):
        """What the endpoints around the run said (its trace, its groups' item runs)."""

        def __init__(self, lineage: Lineage, generation: int) -> None:
            super().__init__()
            self.lineage = lineage
            self.generation = generation

    class Crashed(Message):
        """The poller raised something no fetch error covers: a bug, reported as it is."""

        def __init__(self, error: BaseException | None) -> None:
            super().__init__()
            self.error = error

    def __init__(self, source: RunSource, *, interval: float, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.interval = interval
        self.run_uuid: str | None = None
        self.poller: Poller | None = None
        self.worker: Worker[None] | None = None
        self.generation = 0
        self.status: PollStatus | None = None
        """The last poll state of the current poller."""
        self._lineage_asked = -LINEAGE_EVERY

    def start(self, run_uuid: str, *, parent: RunGraph | None = None) -> None:
        """Poll `run_uuid` (a file: read it once), replacing whatever was polled. `parent` is
        the run that started it, when at hand (its findings check what it reads of it)."""
        self.stop()
        self.generation += 1
        generation = self.generation
        self.run_uuid = run_uuid
        self.status = None
        self._lineage_asked = -LINEAGE_EVERY

        def on_snapshot(snapshot: Snapshot) -> None:
            self.post_message(self.SnapshotArrived(snapshot, generation))

        def on_status(status: PollStatus) -> None:
            # A poller reuses one status object: send a copy of what it says now.
            self.post_message(self.StatusChanged(replace(status), generation))

        poller = Poller(
            self.source,
            run_uuid,
            interval=self.interval,
            on_snapshot=on_snapshot,
            on_status=on_status,
            findings=True,
        )
        self.poller = poller
        self.worker = self.run_worker(
            poller.run(), name="poll", group="poll", exclusive=True, exit_on_error=False
        )

    def ask_lineage(self, graph: RunGraph, *, force: bool = False) -> None:
        """Ask the endpoints around the run for its lineage, in a worker; at most every
        `LINEAGE_EVERY` seconds while the run is at work (a finished run's last answer is
        always asked for: `force`)."""
        if not self.source.has_lineage:
            return
        has_items = any(state.items is not None for state in graph.states.values())
        if not graph.run.trace_uuid and not has_items:
            return
        now = time.monotonic()
        if not force and now - self._lineage_asked < LINEAGE_EVERY:
            return
        self._lineage_asked = now
        generation = self.generation

        async def load() -> None:
            lineage = await load_lineage(self.source, graph)
            self.post_message(self.LineageArrived(lineage, generation))

        self.run_worker(load(), name="lineage", group="lineage", exclusive=True, exit_on_error=False)

    def stop(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        if self.worker is not None and not self.worker.is_finished:
            self.worker.cancel()
        self.poller = None
        self.worker = None

    @property
    def polling(self) -> bool:
        """A poller is at work (a finished run's, or a file's, is done)."""
        return self.worker is not None and not self.worker.is_finished

    def refresh_now(self) -> None:
        """Fetch at once: wake the poller, or start a new one if it is done."""
        if self.poller is not None and self.polling:
            self.poller.refresh_now()
        elif self.run_uuid is not None:
            self.start(self.run_uuid)

    def toggle_pause(self) -> None:
        if self.poller is not None:
            self.poller.toggle_pause()

    def on_run_feed_snapshot_arrived(self, message: SnapshotArrived) -> None:
        if message.generation != self.generation:
            message.stop()  # from the poller of a run no longer shown

    def on_run_feed_lineage_arrived(self, message: LineageArrived) -> None:
        if message.generation != self.generation:
            message.stop()

    def on_run_feed_status_changed(self, message: StatusChanged) -> None:
        if message.generation != self.generation:
            message.stop()
        else:
            self.status = message.status

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        event.stop()
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker is self.worker:
            self.post_message(self.Crashed(error))
        elif event.worker.group == "lineage":  # a bug there hides the lineage, not the run
            note = f"could not be read ({type(error).__name__}: {error})"
            self.post_message(self.LineageArrived(Lineage(notes={"lineage": note}), self.generation))
