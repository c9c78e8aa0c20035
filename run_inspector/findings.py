"""Findings: what is wrong (or worth knowing) about a run, each with a node and a fix.

Pure Python (no Textual). `compute_findings(graph)` reads the graph's per-node states and the
response's `runContext` / `runComputedConfigs` once, so it stays linear in the size of the
run. The views (`--print`, `--json`, the TUI) only render the list.

The expression checks answer the "success but wrong" question: a template expression such as
`{{nodes.qualify.qualified}}` that points at a path the upstream node never produced
evaluates to nothing, silently, and a branch then goes the wrong way or an end variable comes
out empty. Each such finding names the path and, where the upstream output shows where the
value really is, the corrected expression.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from itertools import chain
from operator import attrgetter
from typing import Any, Literal, Protocol

from .expressions import (
    MISSING,
    Parsed,
    Reference,
    Segment,
    config_reads,
    format_path,
    format_reference,
    is_empty,
    keys_hint,
    resolve,
    short_json,
    suggest_path,
)
from .graph import EdgeKind, NodeState, RunGraph
from .layout import node_order
from .models import ACTIVE_STATUSES, FAILED_STATUSES
from .present import edge_text, fmt_duration, fmt_time

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
"""Most severe first: the order findings are listed in."""


class Kind(StrEnum):
    """The kinds of finding (the `kind` field; plain strings in JSON)."""

    FAILED_NODE = "failed-node"
    RUN_FAILED = "run-failed"
    BRANCH_RESULT = "branch-result"
    MISSING_PATH = "missing-path"
    UNKNOWN_SLUG = "unknown-slug"
    EMPTY_END_VARIABLES = "empty-end-variables"
    FILTER_STOPPED = "filter-stopped"
    NO_OUTPUT = "no-output"
    RETRIES = "retries"
    TEMPLATE_LITERAL = "template-literal"
    STUCK_RUN = "stuck-run"
    ANOMALY = "anomaly"


@dataclass(frozen=True)
class Finding:
    """One thing worth knowing about the run: a one-line message, and maybe a detail and a fix."""

    kind: str
    severity: Severity
    node_uuid: str | None
    message: str
    detail: str | None = None
    fix: str | None = None
    node_slug: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `findings[]` entry of `--json`."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "nodeUuid": self.node_uuid,
            "nodeSlug": self.node_slug,
            "message": self.message,
            "detail": self.detail,
            "fix": self.fix,
        }


def listed_findings(findings: list[Finding]) -> list[Finding]:
    """The findings views list: graph anomalies are listed on their own (the tree's group,
    `--print`'s section), not twice."""
    return [f for f in findings if f.kind != Kind.ANOMALY]


# -- the computation -------------------------------------------------------------------------


@dataclass
class _Check:
    """The outcome of checking one reference."""

    ref: Reference
    kind: Kind
    message_tail: str
    detail: str | None
    fix: str | None


class _Context:
    """What the checks share: slug lookups and the response, computed once."""

    def __init__(self, graph: RunGraph, parent: RunGraph | None = None) -> None:
        self.graph = graph
        self.child_run = bool(graph.run.parent_uuid)
        """An item (or a run another run started) reads its parent run's nodes too."""
        is_parent = parent is not None and parent.run.uuid == graph.run.parent_uuid
        self.parent = _Context(parent) if parent is not None and is_parent else None
        self.context: dict[str, Any] = graph.response.run_context or {}
        self.computed: dict[str, Any] = graph.response.run_computed_configs or {}
        self.by_slug: dict[str, NodeState] = {}
        for state in graph.states.values():
            slug = state.slug
            if slug and (slug not in self.by_slug or state.scope is None):
                self.by_slug[slug] = state
        self.slugs = sorted(self.by_slug)
        self._close_slug: dict[str, str | None] = {}
        self.fine: set[tuple[str, tuple[Segment, ...]]] = set()
        """(slug, path) of references already found to read something real (or unknowable)."""
        self.run_succeeded = (graph.run.status or "") == "success"

    def closest_slug(self, slug: str) -> str | None:
        if slug not in self._close_slug:
            from difflib import get_close_matches  # only for a slug that names no node: rare

            close = get_close_matches(slug, self.slugs, n=1, cutoff=0.6)
            self._close_slug[slug] = close[0] if close else None
        return self._close_slug[slug]

    def check(self, ref: Reference) -> _Check | None:
        """A finding-to-be for one reference, or None when it reads something real (or unknowable)."""
        key = (ref.slug, ref.path)
        if key in self.fine:
            return None  # a run reads the same paths in many nodes
        check = self._check(ref)
        if check is None:
            self.fine.add(key)
        return check

    def _check(self, ref: Reference) -> _Check | None:
        upstream = self.by_slug.get(ref.slug)
        if upstream is None and self.child_run:
            # A slug that is not in this run may be one of its parent run's nodes: check it
            # there when the parent is at hand, else say nothing (it is not known to be wrong).
            if self.parent is None or ref.slug not in self.parent.by_slug:
                return None
            return self.parent.check(ref)
        if upstream is None:
            closest = self.closest_slug(ref.slug)
            fix = (
                f"did you mean `{closest}`: use `{format_reference(closest, ref.path)}`"
                if closest is not None
                else None
            )
            return _Check(
                ref,
                Kind.UNKNOWN_SLUG,
                f"reads `{ref.expression}`, but no node has the slug `{ref.slug}`",
                f"{ref.location} = {{{{{ref.text}}}}}",
                fix,
            )
        if not any((e.status or "") == "success" for e in upstream.executions):
            return None  # not reached (or failed): nothing to compare against
        if ref.slug not in self.context:
            return None  # reported once as a no-output finding
        output = self.context[ref.slug]
        value, resolved = resolve(output, ref.path)
        if value is not MISSING:
            return None
        up = upstream.title
        reached = format_reference(ref.slug, ref.path[:resolved])
        base, _ = resolve(output, ref.path[:resolved])
        if base is None:
            tail = f"reads `{ref.expression}`, but `{reached}` is null in the output of {up}"
        else:
            tail = f"reads `{ref.expression}`, a path that does not exist in the output of {up}"
        suggestion = suggest_path(output, ref.path, resolved, agent=upstream.is_agent)
        fix = (
            f"{suggestion.reason}: use `{format_reference(ref.slug, suggestion.path)}`"
            if suggestion is not None
            else None
        )
        lines = [f"{ref.location} = {{{{{ref.text}}}}}"]
        if resolved < len(ref.path):
            lines.append(
                f"`{reached}` has no {format_path(ref.path[resolved : resolved + 1])}: {keys_hint(base)}"
            )
        return _Check(ref, Kind.MISSING_PATH, tail, "\n".join(lines), fix)


def compute_findings(
    graph: RunGraph,
    *,
    now: datetime | None = None,
    stuck_after: float = 600.0,
    parent: RunGraph | None = None,
) -> list[Finding]:
    """Every finding about the run, most severe first, then in the order nodes are shown.

    `now` and `stuck_after` (seconds) decide whether an active run is stuck. `parent` is the
    run that started this one, when it is at hand: what this run reads of its nodes is checked.
    """
    ctx = _Context(graph, parent)
    found: list[Finding] = []

    def add(
        kind: Kind, severity: Severity, state: NodeState | None, message: str, **extra: str | None
    ) -> None:
        found.append(
            Finding(
                kind.value,
                severity,
                state.uuid if state is not None else None,
                message,
                extra.get("detail"),
                extra.get("fix"),
                state.slug if state is not None else None,
            )
        )

    _run_failed(graph, add)
    checks_by_node = _expression_findings(graph, ctx, add)
    for state in graph.states.values():
        _failed_node(graph, state, add)
        _filter_stopped(graph, state, add)
        _retries(state, add)
        _empty_end_variables(ctx, state, checks_by_node.get(state.uuid, []), add)
    _no_output(graph, ctx, add)
    _template_literals(ctx, add)
    _stuck(graph, now, stuck_after, add)
    for anomaly in graph.anomalies:
        add(
            Kind.ANOMALY,
            "warning",
            graph.states.get(anomaly.node_uuid or ""),
            anomaly.message,
            detail=f"{anomaly.kind}" + (f" at {anomaly.path}" if anomaly.path else ""),
        )

    position = {uuid: i for i, uuid in enumerate(node_order(graph))}
    rank = {severity: i for i, severity in enumerate(SEVERITIES)}
    unplaced = len(position)
    return sorted(
        found,
        key=lambda f: (
            rank[f.severity],
            -1 if f.node_uuid is None else position.get(f.node_uuid, unplaced),
        ),
    )


class _Add(Protocol):
    def __call__(
        self, kind: Kind, severity: Severity, state: NodeState | None, message: str, **extra: str | None
    ) -> None: ...


def _run_failed(graph: RunGraph, add: _Add) -> None:
    status = graph.run.status or ""
    if status in FAILED_STATUSES and not any(s.failed for s in graph.states.values()):
        word = "failed" if status == "error" else "was cancelled"
        add(
            Kind.RUN_FAILED,
            "error",
            None,
            f"the run {word}, but no node did",
            detail=graph.run.error_message,
        )


@dataclass(frozen=True)
class FailureStory:
    """What became of a failed node, in words: the finding's message, how severe, a fix."""

    message: str
    severity: Severity
    fix: str | None = None


def failure_story(graph: RunGraph, state: NodeState) -> FailureStory:
    """What the run did after `state` failed, said from the evidence (`NodeState.outcome`): the
    fallback that took over, the node the run went on to, or that it stopped there. The run's
    own status (and Cargo's verdict, when the trace was read) has the last word: a run that
    ended in error is never called degraded."""
    verb = "failed" if state.status == "error" else "was cancelled"
    items = state.items
    if items is not None and items.failed:
        of = f" of {items.total:,}" if items.total is not None else ""
        plural = "s" if items.failed != 1 or of else ""
        verb = f"{items.failed:,}{of} item{plural} failed"
    outcome = state.outcome
    run_status = graph.run.status or ""
    edge = state.fallback_edge
    target = graph.states.get(edge.target or "") if edge is not None else None
    fallback_name = target.title if target is not None else (edge.target or "?") if edge is not None else ""
    went_on = graph.states.get(outcome.went_on_to or "") if outcome is not None else None
    how = ""
    if outcome is not None and went_on is not None:
        how = (
            f" (its execution names {went_on.title} as the next node)"
            if outcome.evidence == "next node"
            else f" (inferred: {went_on.title} ran after it)"
        )
    ended = "" if run_status in ACTIVE_STATUSES else f"; the run ended {run_status or 'unknown'}"
    degraded = graph.summary.verdict == "degraded"
    if outcome is not None and outcome.fallback is not None:
        fallback_status = target.status if target is not None else "?"
        if went_on is not None:
            tail = ": degraded" if degraded else ended
            return FailureStory(
                f"{verb}; the fallback {fallback_name} took over ({fallback_status}) and the run went on{tail}",
                "warning",
            )
        fix = None
        if edge is not None and not edge.continues:
            fix = "turn on fallbackOnFailure if the run should go on after the fallback"
        stop = "the run stopped here" if run_status not in ACTIVE_STATUSES else "nothing ran after it yet"
        off = ", fallbackOnFailure is off" if fix else ""
        return FailureStory(
            f"{verb}; the fallback {fallback_name} ran ({fallback_status}){off}, and {stop}", "error", fix
        )
    if went_on is not None:
        flag = " (fallbackOnFailure)" if state.node is not None and state.node.fallback_on_failure else ""
        not_run = f"; its fallback {fallback_name} did not run" if edge is not None else ""
        return FailureStory(f"{verb}{not_run}, and the run went on to {went_on.title}{flag}{how}", "warning")
    if run_status in ACTIVE_STATUSES:
        return FailureStory(f"{verb}; the run is still {run_status}, and nothing ran after it yet", "error")
    if edge is not None:
        return FailureStory(
            f"{verb} and its fallback {fallback_name} did not run: the run failed here", "error"
        )
    if run_status in FAILED_STATUSES:
        return FailureStory(f"{verb} with no fallback: the run failed here", "error")
    return FailureStory(f"{verb}, and nothing ran after it{ended}", "error")


def _failed_node(graph: RunGraph, state: NodeState, add: _Add) -> None:
    if not state.failed:
        return
    story = failure_story(graph, state)
    add(
        Kind.FAILED_NODE,
        story.severity,
        state,
        story.message,
        detail=_failure_detail(graph, state),
        fix=story.fix,
    )


def _failure_detail(graph: RunGraph, state: NodeState) -> str | None:
    """The node's error; for items, where each failed item failed (as far as it was read)."""
    listed = graph.lineage.items.get(state.uuid)
    if listed is None or not listed.failures:
        return state.first_error
    lines = []
    for failure in listed.failures:
        title = failure.record_title or failure.run_uuid
        where = f" at {failure.node_slug}" if failure.node_slug else ""
        lines.append(
            f"item {title} ({failure.run_uuid}) failed{where}: {failure.error or 'no error recorded'}"
        )
    failed = (
        listed.failed_count
        if listed.failed_count is not None
        else (state.items.failed if state.items else None)
    )
    if failed is not None and failed > len(listed.failures):
        lines.append(f"+{failed - len(listed.failures)} more failed")
    return "\n".join(lines)


def _routes_taken(graph: RunGraph, state: NodeState) -> str:
    taken = [e for e in state.edges if e.kind is not EdgeKind.FALLBACK and e.taken]
    if taken:
        return ", ".join(f"`{edge_text(e)}`" for e in taken)
    if state.action == "filter" and _filter_stopped_here(graph, state):
        return "no route (it stopped the run)"
    return "an unrecorded route"


def _expression_findings(graph: RunGraph, ctx: _Context, add: _Add) -> dict[str, list[_Check]]:
    """Missing paths and unknown slugs; on a routing node that ran, a branch result."""
    by_node: dict[str, list[_Check]] = {}
    parsed: dict[str, Parsed] = {}
    for state in graph.states.values():
        if state.node is None or not state.node.config:
            continue
        checks = [
            check
            for read in config_reads(state, parsed)
            if (read[1], read[2]) not in ctx.fine  # most reads: no `Reference` is made for them
            and (check := ctx.check(Reference(*read))) is not None
        ]
        if not checks:
            continue
        by_node[state.uuid] = checks
        ran = bool(state.executions)
        decided = ran and state.is_routing and state.action != "split" and state.status not in ACTIVE_STATUSES
        for check in checks:
            if decided:
                computed = ctx.computed.get(state.slug or "")
                detail = check.detail or ""
                if computed is not None:
                    detail += f"\ncomputed config: {short_json(computed, 200)}"
                add(
                    Kind.BRANCH_RESULT,
                    "error",
                    state,
                    f"took {_routes_taken(graph, state)} on a missing value: its {check.ref.location} "
                    + check.message_tail,
                    detail=detail,
                    fix=check.fix,
                )
                continue
            if check.kind is Kind.UNKNOWN_SLUG:
                add(
                    Kind.UNKNOWN_SLUG,
                    "warning",
                    state,
                    check.message_tail,
                    detail=check.detail,
                    fix=check.fix,
                )
                continue
            if ran:
                add(
                    Kind.MISSING_PATH,
                    "warning",
                    state,
                    check.message_tail,
                    detail=check.detail,
                    fix=check.fix,
                )
            elif state.scope is None:
                add(
                    Kind.MISSING_PATH,
                    "info",
                    state,
                    check.message_tail + " (this node was not reached; it would read nothing)",
                    detail=check.detail,
                    fix=check.fix,
                )
    return by_node


def _filter_stopped_here(graph: RunGraph, state: NodeState) -> bool:
    if (graph.run.status or "") in ACTIVE_STATUSES or state.status in ACTIVE_STATUSES or state.failed:
        return False
    if not state.executions:
        return False
    ways = [e for e in state.edges if e.kind is not EdgeKind.FALLBACK]
    if any(e.taken for e in ways):
        return False
    targets = [graph.states.get(e.target or "") for e in ways]
    return not any(t is not None and t.executions for t in targets)


def _filter_stopped(graph: RunGraph, state: NodeState, add: _Add) -> None:
    if not (state.kind == "native" and state.action == "filter") or not _filter_stopped_here(graph, state):
        return
    computed = graph.input_of(state.uuid)
    add(
        Kind.FILTER_STOPPED,
        "info",
        state,
        "the filter's condition did not hold, so the run stopped here (not an error)",
        detail=f"computed config: {short_json(computed, 200)}" if computed is not None else None,
    )


def _retries(state: NodeState, add: _Add) -> None:
    executions = state.executions
    if len(executions) < 2 or state.action == "group":
        return
    if not any((e.status or "") in FAILED_STATUSES for e in executions[:-1]):
        return  # repeated executions without failures are loop iterations, not retries
    last = executions[-1].status or "unknown"
    policy = state.node.retry if state.node is not None else None
    limit = policy.maximum_attempts if policy is not None else None
    detail_parts = []
    if policy is not None and limit is not None:
        detail_parts.append(
            f"retry policy: up to {limit} attempts"
            + (f", {policy.initial_interval:g} ms apart" if policy.initial_interval is not None else "")
            + (f", backoff ×{policy.backoff_coefficient:g}" if policy.backoff_coefficient is not None else "")
        )
    for number, execution in enumerate(executions, 1):
        if execution.error_message:
            detail_parts.append(f"attempt {number}: {execution.status or '?'}: {execution.error_message}")
    count = len(executions)
    if last == "success":
        add(
            Kind.RETRIES,
            "info",
            state,
            f"needed {count} attempts; the last one succeeded",
            detail="\n".join(detail_parts) or None,
        )
    else:
        gave_up = " (the retry limit)" if limit is not None and count >= limit else ""
        add(
            Kind.RETRIES,
            "warning",
            state,
            f"made {count} attempts{gave_up}; the last one ended {last}",
            detail="\n".join(detail_parts) or None,
        )


def _end_variables(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        inner = value.get("variables")
        if isinstance(inner, dict):
            return inner
        if isinstance(inner, list):
            return _variables_from_list(inner)
        return value
    if isinstance(value, list):
        return _variables_from_list(value)
    return None


def _variables_from_list(items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if isinstance(item, dict):
            name = item.get("name", item.get("key"))
            if isinstance(name, str):
                out[name] = item.get("value")
    return out


def _variable_name(config: dict[str, Any] | None, where: tuple[Segment, ...]) -> str | None:
    """The end variable an expression at `where` in the end node's config feeds, if any."""
    if len(where) < 2 or where[0] != "variables" or not config:
        return None
    if isinstance(where[1], str):
        return where[1]
    items = config.get("variables")
    if isinstance(items, list) and where[1] < len(items) and isinstance(items[where[1]], dict):
        name = items[where[1]].get("name", items[where[1]].get("key"))
        return name if isinstance(name, str) else None
    return None


def _empty_end_variables(ctx: _Context, state: NodeState, checks: list[_Check], add: _Add) -> None:
    if not (
        ctx.run_succeeded and state.kind == "native" and state.action == "end" and state.status == "success"
    ):
        return
    if state.scope is not None:
        return
    config = state.node.config if state.node is not None else None
    declared = _end_variables((config or {}).get("variables")) if config else None
    slug = state.slug or ""
    values = _end_variables(ctx.context.get(slug))
    if values is None:
        values = _end_variables(ctx.computed.get(slug)) or {}
    names = list(declared) if declared else list(values)
    empty = [name for name in names if is_empty(values.get(name, MISSING))]
    if not empty:
        return
    lines: list[str] = []
    fix: str | None = None
    for name in empty:
        value = values.get(name, MISSING)
        line = f"{name} = {short_json(value, 60)}"
        for check in checks:
            if _variable_name(config, check.ref.where) == name:
                line += f": reads `{check.ref.expression}`, which " + (
                    "names no node" if check.kind is Kind.UNKNOWN_SLUG else "does not exist"
                )
                fix = fix or check.fix
                break
        lines.append(line)
    shown = ", ".join(empty[:6]) + (", …" if len(empty) > 6 else "")
    plural = "s" if len(empty) > 1 else ""
    add(
        Kind.EMPTY_END_VARIABLES,
        "warning",
        state,
        f"the run succeeded, but {len(empty)} end variable{plural} came out empty: {shown}",
        detail="\n".join(lines),
        fix=fix,
    )


def _no_output(graph: RunGraph, ctx: _Context, add: _Add) -> None:
    ran = [
        s
        for s in graph.states.values()
        if s.scope is None and s.slug and s.status == "success" and s.node is not None
    ]
    if not ran:
        return
    if graph.response.run_context is None:
        add(
            Kind.NO_OUTPUT,
            "info",
            None,
            "the response has no runContext: no node's output can be shown",
            detail=f"{len(ran)} nodes ran successfully",
        )
        return
    for state in ran:
        if ctx.context.get(state.slug or "") is None:
            add(
                Kind.NO_OUTPUT,
                "info",
                state,
                f"ran, but runContext has nothing for `{state.slug}`",
                detail="expressions that read it get nothing",
            )


_LITERAL_SHOWN = 3


def _literal_spots(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(path, snippet) of each string under `value` that still holds `{{`."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        current, path = stack.pop()
        if isinstance(current, str):
            at = current.find("{{")
            if at >= 0:
                start = max(at - 20, 0)
                snippet = (
                    ("…" if start else "")
                    + current[start : at + 60]
                    + ("…" if at + 60 < len(current) else "")
                )
                yield path, snippet
        elif isinstance(current, dict):
            for key, child in reversed(list(current.items())):
                if key == "_nodes":
                    continue  # a group's sub-graph config is evaluated per item, later
                stack.append((child, path + format_path((str(key),))))
        elif isinstance(current, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(current))))


def _may_hold_template(value: Any) -> bool:
    """False when no string under `value` holds `{{` (one C-level pass); True when one may."""
    if isinstance(value, str):
        return "{{" in value
    if not isinstance(value, (dict, list)):
        return False
    try:
        # JSON text has `{{` only inside strings: an object's first member is a quoted key.
        return "{{" in json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return True  # not plain JSON data: walk it


def _template_literals(ctx: _Context, add: _Add) -> None:
    sources = [
        (label, source)
        for label, source in (("computed config", ctx.computed), ("output", ctx.context))
        if _may_hold_template(source)
    ]
    if not sources:
        return
    for slug, state in ctx.by_slug.items():
        if not state.executions:
            continue
        spots: list[tuple[str, str]] = []
        for label, source in sources:
            if slug in source and _may_hold_template(source[slug]):
                for path, snippet in _literal_spots(source[slug], label):
                    spots.append((path, snippet))
        if not spots:
            continue
        first_path, first = spots[0]
        detail = "\n".join(f"{path}: {snippet}" for path, snippet in spots[:_LITERAL_SHOWN])
        if len(spots) > _LITERAL_SHOWN:
            detail += f"\n… {len(spots) - _LITERAL_SHOWN} more"
        add(
            Kind.TEMPLATE_LITERAL,
            "warning",
            state,
            f"a template was left unevaluated in its {first_path}: {first}",
            detail=detail,
            fix="check the expression: Cargo leaves `{{…}}` as text when it cannot evaluate it",
        )


_MOMENTS = attrgetter("updated_at", "started_at", "finished_at")


def _stuck(graph: RunGraph, now: datetime | None, stuck_after: float, add: _Add) -> None:
    run = graph.run
    status = run.status or ""
    if status not in ACTIVE_STATUSES:
        return
    moments = [run.updated_at, run.created_at]
    moments.extend(chain.from_iterable(map(_MOMENTS, run.executions or [])))
    known = list(filter(None, moments))  # drops the Nones: a datetime is never false
    if not known:
        return
    try:
        last = max(known)
    except TypeError:  # naive and aware moments: naive ones are UTC
        last = max(m if m.tzinfo is not None else m.replace(tzinfo=UTC) for m in known)
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    age = ((now or datetime.now(UTC)) - last).total_seconds()
    if age <= stuck_after:
        return
    active = next(
        (graph.states[u] for u in node_order(graph) if graph.states[u].status in ACTIVE_STATUSES),
        None,
    )
    detail = f"last update {fmt_time(last)}"
    if active is not None:
        detail += f"; waiting on {active.title} ({active.status} since {fmt_time(active.started_at)})"
    add(
        Kind.STUCK_RUN,
        "warning",
        active,
        f"the run has been {status} with no update for {fmt_duration(age)} "
        f"(threshold {fmt_duration(stuck_after)})",
        detail=detail,
    )
