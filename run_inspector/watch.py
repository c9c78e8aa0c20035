"""`--watch`: one line per observed transition until the run ends, then a summary line.

Headless and Textual-free, built on the same `Poller` as the TUI.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.text import Text

from .errors import FetchError
from .graph import RunGraph
from .layout import failed_nodes
from .models import TERMINAL_STATUSES
from .poller import Poller, PollStatus, Snapshot, Transition
from .present import fmt_credits, fmt_duration, fmt_time, status_look
from .sanitize import one_line
from .source import RunSource


def transition_text(transition: Transition, *, local: bool = True) -> Text:
    """`12:03:04 enrich_company pending → error`."""
    moment = transition.at.astimezone() if local else transition.at
    look = status_look(transition.new)
    subject = "run" if transition.node_uuid is None else one_line(transition.title, 60)
    old = status_look(transition.old).word if transition.old is not None else "—"
    return Text.assemble(
        (moment.strftime("%H:%M:%S"), "dim"),
        " ",
        (f"{look.glyph} ", look.style),
        (subject, "bold" if transition.node_uuid is None else ""),
        f" {old} → ",
        (look.word, look.style),
    )


def summary_text(graph: RunGraph, *, live: bool = True) -> Text:
    """`✖ run <uuid> (Acme Corp) ended error after 41 s · 3 credits · failed: enrich_company`.

    A saved file (`live` False) of a run that had not ended says what it was as of its last
    update, not that it ended."""
    summary = graph.summary
    look = status_look(summary.status)
    verdict = f" ({summary.verdict})" if summary.verdict == "degraded" else ""
    ended = summary.status in TERMINAL_STATUSES or live
    state = (
        f"ended {look.word}{verdict}"
        if ended
        else f"was {look.word} as of {fmt_time(graph.run.updated_at)} (a saved snapshot)"
    )
    parts = [
        f"run {one_line(summary.uuid or '?')}",
        f"({one_line(summary.record_title, 60)})" if summary.record_title else "",
        state,
        f"after {fmt_duration(summary.elapsed)}" if summary.elapsed is not None else "",
    ]
    head = " ".join(p for p in parts if p)
    tail = [fmt_credits(summary.credits) or "0 credits"]
    failed = [graph.states[u].slug or graph.states[u].title for u in failed_nodes(graph)]
    if failed:
        tail.append(
            "failed: " + ", ".join(one_line(f, 60) for f in failed[:5]) + (" …" if len(failed) > 5 else "")
        )
    return Text.assemble((f"{look.glyph} ", look.style), head, " · ", " · ".join(tail))


class Watcher:
    def __init__(
        self,
        source: RunSource,
        run_uuid: str,
        out: TextIO,
        err: TextIO,
        *,
        interval: float,
        color: bool | None = None,
        error_limit: int = 20,
    ) -> None:
        tty = out.isatty() if color is None else color
        self.out = Console(
            file=out,
            force_terminal=tty,
            no_color=not tty,
            highlight=False,
            markup=False,
            emoji=False,
            soft_wrap=True,
        )
        self.err = Console(
            file=err,
            force_terminal=False,
            no_color=True,
            highlight=False,
            markup=False,
            emoji=False,
            soft_wrap=True,
        )
        self.poller = Poller(
            source,
            run_uuid,
            interval=interval,
            on_snapshot=self._snapshot,
            on_status=self._status,
            error_limit=error_limit,
        )
        self._last_error: str | None = None

    def _snapshot(self, snapshot: Snapshot) -> None:
        for transition in snapshot.transitions:
            self.out.print(transition_text(transition))

    def _status(self, status: PollStatus) -> None:
        if status.error is None:
            self._last_error = None
            return
        message = self.poller.source.error_for(status.error, self.poller.run_uuid).one_line()
        if status.state in ("stale", "waiting") and message != self._last_error:
            retry = f"; retrying in {status.retry_in:.0f} s" if status.retry_in is not None else ""
            self.err.print(f"run-inspector: {one_line(message)}{retry}")
        self._last_error = message

    async def run(self) -> RunGraph:
        await self.poller.run()
        status = self.poller.status
        if status.state == "failed" and status.error is not None:
            raise self.poller.source.error_for(status.error, self.poller.run_uuid)
        graph = self.poller.graph
        if graph is None:  # stopped before the first answer
            raise FetchError("the run could not be fetched")
        if status.note is not None:  # e.g. an unknown status that stopped changing
            self.err.print(f"run-inspector: {status.note}")
        self.out.print(summary_text(graph, live=self.poller.source.live))
        return graph
