"""How often each node of a workflow fails across its runs: `POST /orchestration/runs/metrics`.

No Textual import. The Overview pane says "this node failed in 12% of executions (30/250, 7 d)",
so a failure can be told apart from a node that always fails. One request per workflow and
window; an endpoint that is missing (404), forbidden (403) or not in a file leaves the rates
empty with a note, never a fault: the run is what the user came for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .errors import FetchError, ForbiddenError, NotAvailableError, NotFoundError
from .resources import RunMetric, cargo_time
from .source import RunSource

WINDOW_DAYS = 7


@dataclass(frozen=True)
class FailureRate:
    """One node's executions that ended in error, out of all of them, over `days`."""

    node_uuid: str
    failed: int
    total: int
    days: int = WINDOW_DAYS

    @property
    def rate(self) -> float | None:
        """`failed / total` (None: the node never ran in the window)."""
        return self.failed / self.total if self.total else None

    def percent(self) -> str:
        """`12%`; `<1%` and `>99%` rather than rounding a rare failure to 0% or 100%."""
        rate = self.rate
        if rate is None:
            return "—"
        value = rate * 100
        if 0 < value < 1:
            return "<1%"
        if 99 < value < 100:
            return ">99%"
        return f"{value:.0f}%"

    def text(self) -> str:
        """`this node failed in 12% of executions (30/250, 7 d)`."""
        if not self.total:
            return f"this node did not run in the last {self.days} d"
        return (
            f"this node failed in {self.percent()} of executions "
            f"({self.failed:,}/{self.total:,}, {self.days} d)"
        )


@dataclass
class FailureRates:
    """Every node's failure rate in one workflow since `since` (empty with a `note` when the
    metrics could not be had)."""

    workflow_uuid: str | None
    since: datetime
    days: int = WINDOW_DAYS
    by_node: dict[str, FailureRate] = field(default_factory=dict)
    note: str | None = None

    def of(self, node_uuid: str) -> FailureRate | None:
        return self.by_node.get(node_uuid)

    def counts(self) -> dict[str, tuple[int, int]]:
        """Node uuid → (failed, total): what the tree flags a node that fails often by."""
        return {uuid: (rate.failed, rate.total) for uuid, rate in self.by_node.items()}


async def failure_rates(
    source: RunSource, workflow_uuid: str | None, *, days: int = WINDOW_DAYS, now: datetime | None = None
) -> FailureRates:
    """Per node of the workflow: executions in error out of all executions, over the last
    `days` (runs created since then). Tolerant: a 403, a 404, a file or any other fault of
    the metrics endpoint gives empty rates and a note."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    rates = FailureRates(workflow_uuid, since, days)
    if not workflow_uuid:
        rates.note = "the run names no workflow"
        return rates
    try:
        answer = await source.run_metrics({"workflowUuid": workflow_uuid, "createdAfter": cargo_time(since)})
    except (NotAvailableError, NotFoundError) as error:
        rates.note = f"not available ({error.one_line()})"
        return rates
    except ForbiddenError as error:
        rates.note = f"forbidden ({error.one_line()})"
        return rates
    except FetchError as error:
        rates.note = error.one_line()
        return rates
    totals: dict[str, list[int]] = {}
    for metric in answer.run_metrics or []:
        if metric.node_uuid:
            failed, total = totals.setdefault(metric.node_uuid, [0, 0])
            totals[metric.node_uuid] = [failed + _count(metric, "error"), total + _count(metric, "total")]
    rates.by_node = {
        uuid: FailureRate(uuid, failed, max(total, failed), days) for uuid, (failed, total) in totals.items()
    }
    return rates


def _count(metric: RunMetric, which: str) -> int:
    value = metric.error_executions_count if which == "error" else metric.total_executions_count
    return value if value is not None and value > 0 else 0
