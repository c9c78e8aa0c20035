"""`--watch`: one line per observed transition until the run ends, then a summary line.

Headless and Textual-free, built on the same `Poller` as the TUI.
"""

from __future__ import annotations

import re
from typing import TextIO

from rich.console import Console
from rich.text import Text

from .errors import FetchError
from .graph import NodeState, RunGraph
from .layout import failed_nodes
from .models import FAILED_STATUSES, TERMINAL_STATUSES
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


ERROR_LIMIT = 200
"""An error line is cut to this many characters (with `…`); `--json` has the whole error."""


def failure_of(graph: RunGraph, transition: Transition) -> tuple[str, str] | None:
    """What failed in a transition to error (or cancelled), as `(subject, error text)`: the
    attempt's error for an attempt, the node's last error for a node, and for the run its own
    error, else that of the node that failed first. None: no failure, or no words for it."""
    if transition.new not in FAILED_STATUSES:
        return None
    if transition.node_uuid is None:
        summary = graph.summary
        if summary.error_message:
            return "run", summary.error_message
        first = graph.states.get(summary.first_failed) if summary.first_failed else None
        error = _last_error(first) if first is not None else None
        return (first.slug or first.title, error) if first is not None and error else None
    state = graph.states.get(transition.node_uuid)
    if state is None:
        return None
    name = state.slug or state.title
    attempt = re.fullmatch(rf"{re.escape(name)} \(attempt (\d+)\)", transition.title)
    if transition.title != name and attempt is not None:
        index = int(attempt.group(1)) - 1
        error = state.executions[index].error_message if index < len(state.executions) else None
    else:
        error = _last_error(state)
    return (name, error) if error else None


def _last_error(state: NodeState) -> str | None:
    """The error of a node's last execution that did not succeed (its last attempt's)."""
    failed = [e.error_message for e in state.executions if e.error_message and e.status != "success"]
    return failed[-1] if failed else state.first_error


def failure_text(transition: Transition, subject: str, error: str, *, local: bool = True) -> Text:
    """`12:03:04   ↳ enrich_company: Clearbit answered 503`, on one line, cut with `…`."""
    moment = transition.at.astimezone() if local else transition.at
    return Text.assemble(
        (moment.strftime("%H:%M:%S"), "dim"),
        "   ↳ ",
        one_line(subject, 60),
        ": ",
        (one_line(error, ERROR_LIMIT), "red"),
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


class _Console(Console):
    """A console that lets a closed pipe (`--watch | head -2`) be a `BrokenPipeError`, which the
    CLI ends quietly with 0, as `git log | head` does: Rich's own handling exits with 1, the
    code that says the run failed."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


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
        self.out = _Console(
            file=out,
            force_terminal=tty,
            no_color=not tty,
            highlight=False,
            markup=False,
            emoji=False,
            soft_wrap=True,
        )
        self.err = _Console(
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
        self._errors_said: set[str] = set()

    def _snapshot(self, snapshot: Snapshot) -> None:
        said_now: set[tuple[str | None, str]] = set()
        # The run's end is said after what its nodes did in the same poll: the node's failure,
        # then the run's.
        ending = [t for t in snapshot.transitions if t.node_uuid is None and t.new in TERMINAL_STATUSES]
        for transition in [t for t in snapshot.transitions if t not in ending] + ending:
            self.out.print(transition_text(transition))
            failure = failure_of(snapshot.graph, transition)
            if failure is None:
                continue
            # Said once: a node's error after its last attempt's in the same poll, and the
            # run's error when it is a node's already said.
            if (transition.node_uuid, failure[1]) in said_now or (
                transition.node_uuid is None and failure[1] in self._errors_said
            ):
                continue
            said_now.add((transition.node_uuid, failure[1]))
            self._errors_said.add(failure[1])
            self.out.print(failure_text(transition, *failure))

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
