"""What the app needs from a poller. No Textual import.

The app consumes snapshots and poll states through these protocols, so it runs on the core
`Poller` (run_inspector/poller.py) and a test can hand it a scripted feed instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from ..errors import FetchError
from ..findings import Finding
from ..graph import RunGraph
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
    @property
    def body(self) -> bytes:
        """The response bytes (empty when the feed has none): what `s` saves."""
        ...
    @property
    def findings(self) -> list[Finding] | None:
        """The graph's findings, when the feed computed them off the UI thread; None: not yet."""
        ...


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
    body: bytes = b""
    findings: list[Finding] | None = None


@dataclass
class FeedStatus:
    state: str
    last_success: datetime | None = None
    error: FetchError | None = None
    retry_in: float | None = None
    next_poll_in: float | None = None
