"""Finding runs of a workflow: the query, its `runs/list` body, the newest N, rows, cancel.

No Textual import. The CLI (`--workflow`) and the TUI's Runs screen both build a `RunQuery`
from what the user asked (`build_query`: every value checked, a wrong one a `UsageError` that
says what is valid), then `fetch_runs(source, query)`.

Cargo's `POST /orchestration/runs/list` has no sort parameter and answers its pages in no
particular order, so the newest N are only known once every match has been seen: when more
runs match than one page holds, every page is fetched (a few at a time), up to `SCAN_CAP`
runs, and the runs are sorted here, newest `createdAt` first. `RunPage.capped` says when the
cap (or an API that stops answering pages) cut the scan, so a view can say the newest shown
are the newest of those read, not of all.

`cancel_run` is the one write: `POST /orchestration/runs/cancel` for one run (the TUI asks
first; no headless mode calls it).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .errors import FetchError, ForbiddenError, InvalidResponseError, NotFoundError, UsageError
from .graph import RunGraph
from .models import ACTIVE_STATUSES, RUN_STATUSES, Run
from .resources import RunList, cargo_time, utc
from .sanitize import one_line
from .source import RunSource

PAGE = 100
"""Runs asked for per `runs/list` request."""
SCAN_CAP = 2000
"""Runs read at the most to find the newest N (20 requests of 100)."""
DEFAULT_LIMIT = 50
AT_ONCE = 4
"""`runs/list` requests in flight at once."""
EXTRA_PAGES = 3
"""Pages read past the count at the most, when pages shifted while they were read."""
ERROR_EXCERPT = 200
"""Characters of a run's error kept in its row."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SLUG = re.compile(r"[^\s:]+")
_STATUS_ORDER = ("error", "cancelled", "cancelling", "running", "pending", "idle", "skipped")
"""The statuses a count line names, most alarming first (`success` goes without saying)."""


@dataclass(frozen=True)
class FailedAt:
    """`--failed-at SLUG[:TEXT]`: runs in which node SLUG ended in error (with TEXT in its error)."""

    slug: str
    text: str | None = None


@dataclass(frozen=True)
class Since:
    """`--since`: the moment, and how the user said it (`24h` or `2026-12-05`)."""

    moment: datetime
    said: str
    relative: bool
    """Said as a duration back from now (`24h`), not as a date."""

    def describe(self) -> str:
        when = _readable(self.moment)
        return f"in the last {self.said} (since {when})" if self.relative else f"since {when}"


@dataclass(frozen=True)
class RunQuery:
    """Which runs of one workflow to list, and how many of the newest (`limit`)."""

    workflow_uuid: str
    statuses: tuple[str, ...] = ()
    record: str | None = None
    """Part of the record's title, or its exact id (`recordTitleOrId`)."""
    failed_at: FailedAt | None = None
    since: Since | None = None
    limit: int = DEFAULT_LIMIT

    def filters(self) -> dict[str, Any]:
        """The `runs/list` (and `runs/count`) filters, without paging."""
        body: dict[str, Any] = {"workflowUuid": self.workflow_uuid}
        if self.statuses:
            body["statuses"] = list(self.statuses)
        if self.record is not None:
            body["recordTitleOrId"] = self.record
        if self.failed_at is not None:
            condition: dict[str, Any] = {"kind": "node", "nodeSlug": self.failed_at.slug, "status": "error"}
            if self.failed_at.text is not None:
                condition["value"] = self.failed_at.text
            body["executionsFilter"] = {
                "conjonction": "and",  # Cargo's spelling
                "groups": [{"conjonction": "and", "conditions": [condition]}],
            }
        if self.since is not None:
            body["createdAfter"] = cargo_time(self.since.moment)
        return body

    def body(self, *, limit: int, offset: int = 0) -> dict[str, Any]:
        """One `runs/list` request: the filters and a page."""
        return {**self.filters(), "limit": limit, "offset": offset}

    def describe(self) -> str:
        """`runs of workflow W with status error since 2026-12-05`: what was searched (made safe)."""
        words = [f"runs of workflow {one_line(self.workflow_uuid, 80)}"]
        if self.statuses:
            words.append(f"with status {' or '.join(self.statuses)}")
        if self.record is not None:
            words.append(f"whose record matches '{one_line(self.record, 80)}'")
        if self.failed_at is not None:
            text = self.failed_at.text
            words.append(
                f"that failed at {one_line(self.failed_at.slug, 80)}"
                + (f" with '{one_line(text, 80)}' in the error" if text is not None else "")
            )
        if self.since is not None:
            words.append(self.since.describe())
        return " ".join(words)


def build_query(
    workflow_uuid: str,
    *,
    statuses: Iterable[str] = (),
    record: str | None = None,
    failed_at: str | None = None,
    since: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
    cap: int = SCAN_CAP,
) -> RunQuery:
    """A `RunQuery` from what the user typed; a `UsageError` naming what is valid otherwise.
    `statuses` are comma-separated lists (`error,cancelled`); `now` anchors `since` (tests)."""
    record = record.strip() if record is not None else None
    if record == "":
        raise UsageError("--record is empty", "give part of a record's title, or a record id")
    if limit is None:
        limit = DEFAULT_LIMIT
    if not 1 <= limit <= cap:
        raise UsageError(f"--limit must be between 1 and {cap:,}", f"e.g. --limit {DEFAULT_LIMIT}")
    return RunQuery(
        workflow_uuid,
        parse_statuses(statuses),
        record,
        parse_failed_at(failed_at) if failed_at is not None else None,
        parse_since(since, now) if since is not None else None,
        limit,
    )


def parse_statuses(values: Iterable[str]) -> tuple[str, ...]:
    """Run statuses from comma-separated lists, lower-cased, each once, checked against
    Cargo's run statuses (an execution status like `absent` is not one)."""
    chosen: list[str] = []
    for value in values:
        for part in value.split(","):
            status = part.strip().lower()
            if not status:
                continue
            if status not in RUN_STATUSES:
                raise UsageError(
                    f"unknown run status '{one_line(part.strip(), 40)}'",
                    f"use one or more of {', '.join(RUN_STATUSES)}, separated by commas",
                )
            if status not in chosen:
                chosen.append(status)
    return tuple(chosen)


def parse_failed_at(text: str) -> FailedAt:
    """`SLUG` or `SLUG:TEXT` (the text is everything after the first colon, kept as typed)."""
    slug, colon, rest = text.partition(":")
    slug = slug.strip()
    if not _SLUG.fullmatch(slug):
        raise UsageError(
            "--failed-at needs a node slug",
            "e.g. --failed-at enrich_company or --failed-at enrich_company:429",
        )
    return FailedAt(slug, rest if colon and rest.strip() else None)


def parse_since(text: str, now: datetime | None = None) -> Since:
    """`24h`, `7d`, `90m`, `30s`, `2w` back from `now`, or an ISO date (midnight UTC) or date-time
    (UTC unless it says otherwise). A moment in the future is refused: no run can match it."""
    said = text.strip()
    now = utc(now or datetime.now(UTC))
    hint = "give a duration such as 24h, 7d or 90m, or an ISO date or date-time such as 2026-12-05 or 2026-12-05T09:30Z"
    match = _DURATION.fullmatch(said)
    if match is not None:
        amount = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        if not math.isfinite(amount) or amount <= 0:
            raise UsageError(f"--since {one_line(said, 40)} is not a positive duration", hint)
        try:
            moment = now - timedelta(seconds=amount)
        except OverflowError:
            raise UsageError(f"--since {one_line(said, 40)} reaches back too far", hint) from None
        return Since(moment, said.lower().replace(" ", ""), relative=True)
    given = _iso_moment(said)
    if given is None:
        raise UsageError(f"--since '{one_line(said, 40)}' is neither a duration nor an ISO date", hint)
    if given > now:
        raise UsageError(f"--since {one_line(said, 40)} is in the future", "no run was created after it yet")
    return Since(given, said, relative=False)


def _iso_moment(text: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    except ValueError:
        pass
    try:
        return utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        return None


def _readable(moment: datetime) -> str:
    """`2026-12-05` at midnight UTC, else `2026-12-05 09:30 UTC`."""
    moment = utc(moment)
    if moment.time() == datetime.min.time():
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# -- fetching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunPage:
    """The newest runs that match a query, as far as the scan went."""

    query: RunQuery
    runs: list[Run]
    """Newest `createdAt` first (runs without one last), at most `query.limit`."""
    count: int
    """How many runs match in all: the API's `count` (what was read, when it sent none)."""
    fetched: int
    """How many distinct runs were read to choose them."""

    @property
    def capped(self) -> bool:
        """More runs match than were read: the newest shown are the newest of those read."""
        return self.count > self.fetched

    @property
    def rows(self) -> list[RunRow]:
        return [RunRow.of(run) for run in self.runs]

    def empty_text(self) -> str:
        """`no runs of workflow W with status error since 2026-12-05`."""
        return f"no {self.query.describe()}"

    def cap_text(self) -> str:
        """What the cap cut, or '' when nothing was."""
        if not self.capped:
            return ""
        return (
            f"{self.count:,} runs match; the API does not sort, so these are the newest of the "
            f"{self.fetched:,} read (narrow the search with --since or --status)"
        )


async def fetch_runs(
    source: RunSource, query: RunQuery, *, page_size: int = PAGE, cap: int = SCAN_CAP
) -> RunPage:
    """The newest `query.limit` runs that match `query`.

    One request when one page holds every match; otherwise every page up to `cap` runs (a
    few requests at a time), since the API's pages come in no particular order. Raises the
    source's `FetchError`s (a 403 names the permission; a 404 says the endpoint is missing).
    """
    gate = asyncio.Semaphore(AT_ONCE)
    first = await _page(source, query, 0, min(page_size, cap), gate)
    found: dict[str, Run] = {}
    extra: list[Run] = []
    _collect(first.runs or [], found, extra)
    step = len(first.runs or [])
    count = first.count
    if step and count is not None and count > step:
        wanted = min(count, cap)
        offsets = range(step, wanted, step)
        pages = await asyncio.gather(
            *(_page(source, query, offset, min(step, wanted - offset), gate) for offset in offsets)
        )
        for page in pages:
            _collect(page.runs or [], found, extra)
        # Runs created while paging shift the pages: a run read twice means another not read
        # yet, past the end. Read on a little while fewer distinct runs than counted were seen.
        offset = wanted
        for _ in range(EXTRA_PAGES):
            if len(found) + len(extra) >= wanted or offset >= cap:
                break
            page = await _page(source, query, offset, min(step, cap - offset), gate)
            _collect(page.runs or [], found, extra)
            if not page.runs:
                break
            offset += len(page.runs)
    elif step and count is None:
        offset = step
        while offset < cap:  # no count: page until a short page
            page = await _page(source, query, offset, min(step, cap - offset), gate)
            _collect(page.runs or [], found, extra)
            if len(page.runs or []) < step:
                break
            offset += step
    runs = newest_first([*found.values(), *extra])
    fetched = len(runs)
    return RunPage(query, runs[: query.limit], count if count is not None else fetched, fetched)


async def latest_run(source: RunSource, query: RunQuery) -> Run | None:
    """The newest run that matches `query` (None: none does)."""
    page = await fetch_runs(source, replace(query, limit=1))
    return page.runs[0] if page.runs else None


async def _page(
    source: RunSource, query: RunQuery, offset: int, limit: int, gate: asyncio.Semaphore
) -> RunList:
    async with gate:
        try:
            return await source.list_runs(query.body(limit=limit, offset=offset))
        except NotFoundError as error:
            raise NotFoundError(
                error.message,
                error.hint
                or "this API has no runs/list endpoint: check --api-url (https://api.getcargo.io/v1)",
                status_code=error.status_code,
            ) from None


def _collect(runs: Sequence[Run], found: dict[str, Run], extra: list[Run]) -> None:
    """Each run once: a run seen on two pages (the list changed between them) is kept once."""
    for run in runs:
        if run.uuid:
            found.setdefault(run.uuid, run)
        else:
            extra.append(run)


def newest_first(runs: Iterable[Run]) -> list[Run]:
    """Newest `createdAt` first; runs without one last; ties in uuid order (stable output)."""
    return sorted(runs, key=lambda run: (-_seconds(run.created_at), run.uuid or ""))


def _seconds(moment: datetime | None) -> float:
    if moment is None:
        return -math.inf
    try:
        return utc(moment).timestamp()
    except (OverflowError, ValueError, OSError):
        return -math.inf


# -- rows and counts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    """One run as a line of a table (the Runs screen, `--print`).

    `uuid` is the id as sent (to open the run with; show it through `one_line`); the texts are
    already made safe to show (`one_line`)."""

    uuid: str | None
    status: str | None
    record_title: str
    created_at: datetime | None
    finished_at: datetime | None
    took: float | None
    """Seconds from `createdAt` to `finishedAt` (queueing included); None until it ends."""
    credits: float | None
    """The run's `creditsUsedCount` when the list sends one (it is not in Cargo's `Run` type)."""
    error: str | None
    """The run's error, on one line, cut to `ERROR_EXCERPT` characters."""
    parent_uuid: str | None = None
    """The run that started this one (a group's item runs are runs of the same workflow)."""

    @classmethod
    def of(cls, run: Run) -> RunRow:
        took = None
        if run.created_at is not None and run.finished_at is not None:
            try:
                took = max((utc(run.finished_at) - utc(run.created_at)).total_seconds(), 0.0)
            except OverflowError:
                took = None
        return cls(
            run.uuid,
            run.status,
            one_line(run.record_title or "", 300),
            run.created_at,
            run.finished_at,
            took,
            run_credits(run),
            one_line(run.error_message.strip(), ERROR_EXCERPT) if run.error_message else None,
            run.parent_uuid,
        )


def run_credits(run: Run) -> float | None:
    """`creditsUsedCount` from the run's extra fields, when it is a finite number."""
    value = (run.model_extra or {}).get("creditsUsedCount")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def count_line(statuses: Sequence[str | None], count: int | None = None) -> str:
    """`7 runs · 3 error · 1 running` (`50 of 312 runs · …` when more match than are shown).
    Successes go without saying; an unknown status is named as sent (made safe)."""
    shown = len(statuses)
    noun = "run" if (count if count is not None else shown) == 1 else "runs"
    head = f"{shown:,} {noun}" if count is None or count == shown else f"{shown:,} of {count:,} {noun}"
    tally = Counter(status or "unknown" for status in statuses)
    named = [s for s in _STATUS_ORDER if tally[s]]
    named += sorted(s for s in tally if s not in _STATUS_ORDER and s != "success")
    return " · ".join([head, *(f"{tally[s]:,} {one_line(s, 30)}" for s in named)])


# -- cancel -------------------------------------------------------------------------------------


async def cancel_run(source: RunSource, target: RunGraph | Run) -> str:
    """Ask Cargo to cancel one run (`POST /orchestration/runs/cancel` with its workflow and
    uuid); returns the run's uuid. Cargo leaves a finished run as it is, so this never fails
    for one; the run's next fetch shows `cancelling`, then `cancelled`. A write: confirm first."""
    run = target.run if isinstance(target, RunGraph) else target
    if not run.uuid or not run.workflow_uuid:
        raise InvalidResponseError("the run has no uuid or workflow uuid to cancel it by")
    try:
        await source.cancel_runs(run.workflow_uuid, [run.uuid])
    except ForbiddenError as error:
        raise ForbiddenError(
            f"the token may not cancel run {one_line(run.uuid, 80)} (403){_said(error)}",
            "cancelling needs a token allowed to run this workflow, in the selected --workspace",
            status_code=error.status_code,
        ) from None
    except NotFoundError as error:
        raise NotFoundError(
            f"run {one_line(run.uuid, 80)} could not be cancelled (404){_said(error)}",
            "this API has no runs/cancel endpoint, or the run is not in the selected --workspace",
            status_code=error.status_code,
        ) from None
    return run.uuid


def _said(error: FetchError) -> str:
    return f": {error.detail}" if error.detail else ""


def can_cancel(run: Run) -> bool:
    """Is the run still going (so a cancel would do something)?"""
    return (run.status or "") in ACTIVE_STATUSES - {"cancelling"}
