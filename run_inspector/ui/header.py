"""The header: the run's verdict and title, its ids, times, credits and progress, the poll
state and the breadcrumbs. It keeps its own clock: the elapsed time of a running run and a
retry's countdown move once a second, and the text is only set when it changed (setting it
lays the screen out again: the header's height follows its text)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import Static

from ..findings import Finding
from ..focus import wrong_finding
from ..graph import RunGraph
from ..models import TERMINAL_STATUSES
from ..poller import PollStatus
from ..present import VERDICT_STYLES, fmt_credits, fmt_duration, fmt_time, status_look, verdict_text
from ..sanitize import one_line
from .labels import local_time

NARROW_HEADER = 100
"""Below this many columns the header shortens the workflow and parent ids."""


class RunHeader(Static):
    def __init__(self, source_description: str, *, live: bool = True, id: str | None = None) -> None:
        super().__init__(Text("loading…"), markup=False, id=id)
        self.source_description = source_description
        self.live = live
        """False for a saved file: a run that had not ended is shown as of its last update."""
        self.fetch_uuid = ""
        self.graph: RunGraph | None = None
        self.findings: list[Finding] = []
        self.status: PollStatus | None = None
        """The poll state, as last told (a copy: a poller reuses its status object)."""
        self.problem: str | None = None
        """The last failure, already cleaned and cut (`labels.message_text`)."""
        self.crumbs: Text | None = None
        self._status_at = 0.0
        self._shown: Text | None = None

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def on_resize(self) -> None:
        self.redraw()  # the ids reflow for the new width

    # -- what the app tells it ------------------------------------------------------------

    def show_loading(self, fetch_uuid: str) -> None:
        self.fetch_uuid = fetch_uuid
        self.graph, self.findings, self.status, self.problem = None, [], None, None
        self.redraw()

    def show_run(self, graph: RunGraph | None, findings: list[Finding], crumbs: Text | None) -> None:
        self.graph, self.findings, self.crumbs = graph, findings, crumbs
        self.redraw()

    def show_status(self, status: PollStatus) -> None:
        self.status = replace(status)
        self._status_at = time.monotonic()
        self.redraw()

    def show_problem(self, problem: str | None) -> None:
        self.problem = problem
        self.redraw()

    # -- drawing ------------------------------------------------------------------------

    def _tick(self) -> None:
        """Once a second: the elapsed time of a running run, the countdown of a retry."""
        graph, status = self.graph, self.status
        counting = status is not None and status.retry_in is not None
        if counting or (self.live and graph is not None and graph.summary.status not in TERMINAL_STATUSES):
            self.redraw()

    def redraw(self) -> None:
        graph = self.graph
        if graph is None:
            text = Text.assemble(("run-inspector  ", "bold"), one_line(self.fetch_uuid, 60), "   ")
            text.append_text(self.poll_text())
        else:
            summary = graph.summary
            elapsed = summary.elapsed
            if self.live and summary.status not in TERMINAL_STATUSES and summary.created_at is not None:
                elapsed = max((datetime.now(UTC) - summary.created_at).total_seconds(), 0.0)
            text = header_text(
                graph,
                live=self.live,
                elapsed=elapsed,
                poll=self.poll_text(),
                crumbs=self.crumbs,
                narrow=self.app.size.width < NARROW_HEADER,
                alert=self._findings_alert(graph),
            )
        if text != self._shown:
            self._shown = text
            self.update(text)

    def _findings_alert(self, graph: RunGraph) -> Text | None:
        """For a run that succeeded but went wrong: how many findings say so."""
        if wrong_finding(graph, self.findings) is None:
            return None
        serious = [f for f in self.findings if f.severity in ("error", "warning")]
        return Text(
            f"⚠ but {len(serious)} finding{'s' if len(serious) != 1 else ''} (7)", style="bold yellow"
        )

    def _retry_in(self) -> float:
        status = self.status
        if status is None or status.retry_in is None:
            return 0.0
        return max(status.retry_in - (time.monotonic() - self._status_at), 0.0)

    def poll_text(self) -> Text:
        text = self._poll_state_text()
        status = self.status
        if self.problem and (status is None or status.error is None):
            text.append(f" · ⚠ {one_line(self.problem, 120)}", style="bold red")
        return text

    def _poll_state_text(self) -> Text:
        status = self.status
        if status is None:
            return Text("◌ loading…", style="yellow")
        when = local_time(status.last_success)
        state = status.state
        if state == "live":
            return Text(f"● live · updated {when}", style="green")
        if state == "paused":
            return Text(f"⏸ paused · updated {when} · p resumes", style="yellow")
        if state == "stale":
            text = Text(f"⚠ stale · last ok {when}", style="bold red")
            if status.retry_in is not None:
                text.append(f" · retrying in {self._retry_in():.0f} s")
            if status.error is not None:
                text.append(f" · {one_line(status.error.message, 120)}")
            return text
        if state == "waiting":
            return Text(
                f"◌ waiting for the run to appear · retrying in {self._retry_in():.0f} s", style="yellow"
            )
        if state == "failed":
            text = Text("✖ polling stopped", style="bold red")
            if status.error is not None:
                text.append(f" · {one_line(status.error.message, 120)}")
            return text
        if state == "finished":
            text = Text(f"■ finished · updated {when}", style="dim")
            if status.note:  # e.g. an unknown status that stopped changing
                text.append(f" · {one_line(status.note, 160)}", style="yellow")
            return text
        if state == "static":
            return Text(f"▤ {one_line(self.source_description, 60)}", style="dim")
        if state == "loading":
            return Text("◌ loading…", style="yellow")
        return Text(one_line(state, 40))


def badge(graph: RunGraph) -> Text:
    summary = graph.summary
    look = status_look(summary.status)
    return Text(
        f" {look.glyph} {verdict_text(summary)} ", style=VERDICT_STYLES.get(summary.verdict, look.style)
    )


def _short_id(value: str, narrow: bool) -> str:
    return value[:8] + "…" if narrow and len(value) > 20 else value


def header_text(
    graph: RunGraph,
    *,
    live: bool = True,
    elapsed: float | None,
    poll: Text,
    crumbs: Text | None,
    narrow: bool = False,
    alert: Text | None = None,
) -> Text:
    """The header: title, badge and poll state; ids; times, credits and progress.

    `narrow` (under ~100 columns) shortens the workflow and parent ids so each part stays on
    one line; the run uuid is always whole (and `C` copies it). `alert` follows the title (a
    run that succeeded but went wrong says so there).
    """
    summary, run = graph.summary, graph.run
    text = Text()
    text.append_text(badge(graph))
    text.append(" ")
    text.append(one_line(summary.record_title or "(untitled record)", 80), style="bold")
    if alert is not None:
        text.append("  ")
        text.append_text(alert)
    text.append("   ")
    text.append_text(poll)
    text.append("\n")
    text.append("run ", style="dim")
    text.append(one_line(summary.uuid or "?", 60))
    text.append("  workflow ", style="dim")
    text.append(_short_id(one_line(run.workflow_uuid or "?", 60), narrow))
    if run.parent_uuid:
        text.append("  parent ", style="dim")
        text.append(_short_id(one_line(run.parent_uuid, 60), narrow))
    text.append("\n")
    running = summary.finished_at is None and summary.status not in TERMINAL_STATUSES
    if running:
        finish = "now" if live else f"{_finish_time(summary.created_at, graph.run.updated_at)} (a snapshot)"
    else:
        finish = _finish_time(summary.created_at, summary.finished_at)
    start = fmt_time(summary.created_at)
    # "2026-11-20 09:00:00 → 09:00:26 UTC": one UTC is enough on the same day.
    text.append(start.removesuffix(" UTC") if finish.endswith(" UTC") and len(finish) < 15 else start)
    text.append(" → ", style="dim")
    text.append(finish)
    text.append(f" ({fmt_duration(elapsed) or '—'})")
    text.append(" · ", style="dim")
    text.append(fmt_credits(summary.credits) or "0 cr")
    text.append(" · ", style="dim")
    text.append(f"{summary.nodes_done}/{summary.nodes_reached} nodes done, {summary.nodes_total} in graph")
    if crumbs is not None:
        text.append("\n")
        text.append_text(crumbs)
    return text


def _finish_time(created: datetime | None, finished: datetime | None) -> str:
    """The finish time; only the clock time when it is the same UTC day as the start."""
    if finished is None:
        return "not finished"
    full = fmt_time(finished)
    if created is not None and fmt_time(created)[:10] == full[:10]:
        return full[11:]
    return full
