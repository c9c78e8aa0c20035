"""The "why" view: everything that explains one node's outcome, gathered on one page.

Pure Python (no Textual). `explain(graph, uuid)` answers the questions asked of a failed or
surprising node, in the order people ask them: how did the run get here (the path from the
start, with the route each routing node took and the computed input that decided it), what
went wrong (the error), what the node was called with (its resolved input), what it read
from upstream (each `nodes.…` expression and the value it found, or MISSING), and what the
fallback did. `explain_run(graph)` picks the node worth explaining first.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .expressions import (
    MISSING,
    Segment,
    config_references,
    format_path,
    format_reference,
    resolve,
    suggest_path,
)
from .findings import Finding, compute_findings, failure_story
from .focus import culprit
from .graph import Edge, EdgeKind, NodeState, RunGraph
from .models import ACTIVE_STATUSES
from .present import edge_text, status_look


@dataclass(frozen=True)
class PathStep:
    """One node on the way from the start to the explained node."""

    node_uuid: str
    title: str
    status: str
    routing: bool
    via: str | None = None
    """The words on the edge followed to the next step (`yes`, `on failure (run goes on)`,
    `for each item`); None for the last step and for a plain next edge."""
    taken: bool | None = None
    """Whether the run really went along that edge (False: the path follows an edge the run
    did not take, because the node was not reached the way it ran)."""
    decided_by: Any = None
    """For a routing node: its computed input (the resolved condition or routes)."""


class UpstreamRead(NamedTuple):
    """One `nodes.<slug>.<path>` the node's config reads, and what it found."""

    expression: str
    slug: str
    path: tuple[Segment, ...]
    value: Any
    """The value at the path in `runContext[slug]`, or MISSING."""
    note: str | None = None
    """Why the value is MISSING (and the likely fix), when it is."""


@dataclass
class WhyReport:
    node_uuid: str
    title: str
    status: str
    path: list[PathStep]
    path_complete: bool
    """False when no way from the entry to the node was found (path holds the node alone)."""
    error: str | None
    resolved_input: Any
    """`runComputedConfigs[slug]`: what the node was really called with."""
    output: Any
    """`runContext[slug]`: what the node produced."""
    upstream_reads: list[UpstreamRead]
    fallback: str | None
    """What the fallback did; None when the node has no fallback."""
    findings: list[Finding] = field(default_factory=list)
    """The findings about this node, when the caller passed them."""


def explain(graph: RunGraph, node_uuid: str, *, findings: list[Finding] | None = None) -> WhyReport:
    """Why `node_uuid` ended the way it did. Raises KeyError for an unknown node."""
    state = graph.states[node_uuid]
    path, complete = _path_to(graph, node_uuid)
    return WhyReport(
        node_uuid=node_uuid,
        title=state.title,
        status=state.status,
        path=path,
        path_complete=complete,
        error=state.first_error,
        resolved_input=graph.input_of(node_uuid),
        output=graph.output_of(node_uuid),
        upstream_reads=_upstream_reads(graph, state),
        fallback=_fallback_text(graph, state),
        findings=[f for f in findings or [] if f.node_uuid == node_uuid],
    )


def explain_run(graph: RunGraph, findings: list[Finding] | None = None) -> WhyReport | None:
    """The report for the node that best explains the run's outcome, or None if nothing stands out.

    The first failed node when one failed (a failed or degraded run); otherwise the node of
    the most severe finding (a run that succeeded but went wrong).
    """
    if findings is None:
        findings = compute_findings(graph)
    target = culprit(graph, findings)
    return explain(graph, target, findings=findings) if target is not None else None


# -- the path ----------------------------------------------------------------------------------


def _entry(graph: RunGraph, scope: str | None) -> str | None:
    entries = graph.entries(scope)
    return entries[0] if entries else None


def _path_to(graph: RunGraph, target: str) -> tuple[list[PathStep], bool]:
    state = graph.states[target]
    prefix: list[PathStep] = []
    complete = True
    if state.scope is not None and state.scope in graph.states:
        prefix, complete = _path_to(graph, state.scope)
        last = prefix.pop()
        prefix.append(PathStep(last.node_uuid, last.title, last.status, last.routing, "for each item", None))
    entry = _entry(graph, state.scope) if state.node is not None else None
    hops = _shortest(graph, entry, target) if entry is not None else None
    if hops is None:
        return [*prefix, _step(graph, target, None)], False
    steps = [_step(graph, uuid, edge) for uuid, edge in hops]
    last = steps[-1]
    if last.routing:  # the explained node routes too: say which way it went
        taken = [e for e in state.edges if e.kind is not EdgeKind.FALLBACK and e.taken]
        if taken:
            steps[-1] = PathStep(
                last.node_uuid,
                last.title,
                last.status,
                True,
                ", ".join(edge_text(e) for e in taken),
                True,
                last.decided_by,
            )
    return [*prefix, *steps], complete


def _shortest(graph: RunGraph, entry: str, target: str) -> list[tuple[str, Edge | None]] | None:
    """(node, edge followed out of it) from `entry` to `target`, preferring edges the run took.

    Dijkstra on (edges not taken, hops), so the way the run really went wins, and any way at
    all is found for a node the run did not reach. Each node is settled once: cycles end.
    """
    scope = graph.states[entry].scope
    best: dict[str, tuple[int, int]] = {entry: (0, 0)}
    came_from: dict[str, tuple[str, Edge]] = {}
    queue: list[tuple[int, int, str]] = [(0, 0, entry)]
    settled: set[str] = set()
    while queue:
        untaken, hops, uuid = heapq.heappop(queue)
        if uuid in settled:
            continue
        settled.add(uuid)
        if uuid == target:
            break
        for edge in graph.states[uuid].edges:
            nxt = edge.target
            if nxt is None or nxt not in graph.states or nxt in settled or graph.states[nxt].scope != scope:
                continue
            cost = (untaken + (0 if edge.taken else 1), hops + 1)
            if cost < best.get(nxt, (1 << 30, 0)):
                best[nxt] = cost
                came_from[nxt] = (uuid, edge)
                heapq.heappush(queue, (*cost, nxt))
    if target not in settled:
        return None
    hops_back: list[tuple[str, Edge | None]] = [(target, None)]
    current = target
    while current != entry:
        previous, edge = came_from[current]
        hops_back.append((previous, edge))
        current = previous
    hops_back.reverse()
    return hops_back


def _step(graph: RunGraph, uuid: str, edge: Edge | None) -> PathStep:
    state = graph.states[uuid]
    via = edge_text(edge) if edge is not None and edge.kind is not EdgeKind.NEXT else None
    return PathStep(
        node_uuid=uuid,
        title=state.title,
        status=state.status,
        routing=state.is_routing,
        via=via,
        taken=edge.taken if edge is not None else None,
        decided_by=graph.input_of(uuid) if state.is_routing else None,
    )


# -- reads and fallback ------------------------------------------------------------------------


def _upstream_reads(graph: RunGraph, state: NodeState) -> list[UpstreamRead]:
    by_slug: dict[str, NodeState] = {}
    for other in graph.states.values():
        slug = other.slug
        if slug and (slug not in by_slug or other.scope is None):
            by_slug[slug] = other
    context = graph.response.run_context or {}
    reads: list[UpstreamRead] = []
    seen: set[str] = set()
    for ref in config_references(state):
        expression = ref.expression
        if expression in seen:
            continue
        seen.add(expression)
        upstream = by_slug.get(ref.slug)
        note: str | None = None
        value: Any = MISSING
        if upstream is None:
            note = f"no node has the slug `{ref.slug}`"
        elif ref.slug not in context:
            note = (
                f"{upstream.title} was not reached"
                if not upstream.executions
                else f"{upstream.title} ended {status_look(upstream.status).word} with no recorded output"
            )
        else:
            output = context[ref.slug]
            value, resolved = resolve(output, ref.path)
            if value is MISSING:
                reached = format_reference(ref.slug, ref.path[:resolved])
                note = f"`{reached}` has no {format_path(ref.path[resolved : resolved + 1])}"
                suggestion = suggest_path(output, ref.path, resolved, agent=upstream.is_agent)
                if suggestion is not None:
                    note += f"; {suggestion.reason}: use `{format_reference(ref.slug, suggestion.path)}`"
        reads.append(UpstreamRead(expression, ref.slug, ref.path, value, note))
    return reads


def _fallback_text(graph: RunGraph, state: NodeState) -> str | None:
    """For a failed node, what the run did next (`failure_story`); else whether its fallback
    was needed. None: no fallback, and nothing failed."""
    if state.failed:
        return failure_story(graph, state).message
    edge = state.fallback_edge
    if edge is None:
        return None
    target = graph.states.get(edge.target or "")
    if target is None:
        return f"the fallback points to {edge.target}, which is not a node"
    goes_on = "the run goes on after it" if edge.continues else "the run stops after it"
    if state.status in ACTIVE_STATUSES or not state.executions:
        return f"fallback: {target.title} ({goes_on}); not needed so far"
    return f"fallback: {target.title} ({goes_on}); not needed: the node did not fail"
