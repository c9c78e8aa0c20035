"""What the app needs from a poller, and a one-shot stand-in. No Textual import.

The app consumes snapshots and poll states through these protocols, so the core `Poller`
(run_inspector/poller.py) and the one-shot feed below are interchangeable, and a test can
hand the app a scripted feed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from ..errors import FetchError
from ..graph import RunGraph
from ..models import parse_run_response
from ..source import RunSource


class TransitionLike(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def node_uuid(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def old(self) -> str | None: ...
    @property
    def new(self) -> str: ...


class SnapshotLike(Protocol):
    @property
    def graph(self) -> RunGraph: ...
    @property
    def transitions(self) -> Sequence[TransitionLike]: ...
    @property
    def fetched_at(self) -> datetime: ...


class StatusLike(Protocol):
    @property
    def state(self) -> str: ...
    @property
    def last_success(self) -> datetime | None: ...
    @property
    def error(self) -> FetchError | None: ...
    @property
    def retry_in(self) -> float | None: ...
    @property
    def next_poll_in(self) -> float | None: ...


class PollerLike(Protocol):
    async def run(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def toggle_pause(self) -> None: ...
    def refresh_now(self) -> None: ...
    def stop(self) -> None: ...


OnSnapshot = Callable[[SnapshotLike], None]
OnStatus = Callable[[StatusLike], None]


class PollerFactory(Protocol):
    def __call__(
        self,
        source: RunSource,
        run_uuid: str,
        *,
        interval: float,
        on_snapshot: OnSnapshot,
        on_status: OnStatus,
    ) -> PollerLike: ...


@dataclass
class FeedSnapshot:
    graph: RunGraph
    transitions: list[TransitionLike] = field(default_factory=list)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class FeedStatus:
    state: str
    last_success: datetime | None = None
    error: FetchError | None = None
    retry_in: float | None = None
    next_poll_in: float | None = None


class OneShotFeed:
    """Fetch once and stop: for saved files, and until a real poller is plugged in."""

    def __init__(
        self,
        source: RunSource,
        run_uuid: str,
        *,
        interval: float = 2.0,
        on_snapshot: OnSnapshot,
        on_status: OnStatus,
    ) -> None:
        self.source = source
        self.run_uuid = run_uuid
        self.interval = interval
        self.on_snapshot = on_snapshot
        self.on_status = on_status
        self._last_body: bytes | None = None
        self.last_success: datetime | None = None

    async def run(self) -> None:
        self.on_status(FeedStatus("loading", self.last_success))
        try:
            body = await self.source.fetch_bytes(self.run_uuid)
            if body != self._last_body:
                graph = RunGraph.build(parse_run_response(body))
                self._last_body = body
                self.on_snapshot(FeedSnapshot(graph))
        except FetchError as exc:
            self.on_status(FeedStatus("stale", self.last_success, exc))
            return
        self.last_success = datetime.now(UTC)
        self.on_status(FeedStatus("static" if not self.source.live else "finished", self.last_success))

    def pause(self) -> None:
        """Nothing to pause: the feed fetches once."""

    def resume(self) -> None:
        """Nothing to resume: the feed fetches once."""

    def toggle_pause(self) -> None:
        """Nothing to toggle: the feed fetches once."""

    def refresh_now(self) -> None:
        """The app restarts a finished feed to refresh."""

    def stop(self) -> None:
        """The worker running `run` is cancelled by the app."""


def one_shot_factory(
    source: RunSource,
    run_uuid: str,
    *,
    interval: float,
    on_snapshot: OnSnapshot,
    on_status: OnStatus,
) -> PollerLike:
    return OneShotFeed(source, run_uuid, interval=interval, on_snapshot=on_snapshot, on_status=on_status)
