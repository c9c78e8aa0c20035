"""Where the answer is: the node, pane and execution a run opens on. No Textual import.

A failed run opens on the failed node with its error; a run that succeeded but went wrong
opens on its findings, with the cursor on the node of the most severe one; a running run on
the node that is running. The TUI, the why view (`why.explain_run`) and any other view ask
here, so the rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Finding
from .graph import NodeState, RunGraph
from .layout import node_order
from .models import ACTIVE_STATUSES, FAILED_STATUSES

OVERVIEW, ERROR, FINDINGS = "overview", "error", "findings"
"""The panes a run can open on (ids of the TUI's pane registry)."""


@dataclass(frozen=True)
class Focus:
    node_uuid: str | None
    """The node to put the cursor on (None: an empty graph)."""
    pane: str
    """The pane to show: `error`, `findings` or `overview`."""


def first_focus(graph: RunGraph, findings: list[Finding]) -> Focus:
    """The node and pane a run opens on."""
    start = initial_node(graph)
    if start is not None and graph.states[start].failed:
        return Focus(start, ERROR)
    wrong = wrong_finding(graph, findings)
    if wrong is not None:
        return Focus(wrong.node_uuid, FINDINGS)
    return Focus(start, OVERVIEW)


def initial_node(graph: RunGraph) -> str | None:
    """The first failed node, else the first running one, else the first shown."""
    if graph.summary.first_failed is not None:
        return graph.summary.first_failed
    order = node_order(graph)
    for uuid in order:
        if graph.states[uuid].status in ACTIVE_STATUSES:
            return uuid
    return order[0] if order else None


def wrong_finding(graph: RunGraph, findings: list[Finding]) -> Finding | None:
    """For a run that succeeded but went wrong ("ok", with error or warning findings), the most
    severe finding that names a node; None for any other run."""
    if graph.summary.verdict != "ok":
        return None
    return next(
        (f for f in findings if f.severity in ("error", "warning") and f.node_uuid in graph.states),
        None,
    )


def culprit(graph: RunGraph, findings: list[Finding]) -> str | None:
    """The node that best explains the run's outcome: the first failed node, else the node of
    the most severe finding; None when nothing stands out."""
    if graph.summary.first_failed is not None:
        return graph.summary.first_failed
    return next((f.node_uuid for f in findings if f.node_uuid in graph.states), None)


def chosen_execution(state: NodeState | None, remembered: int | None = None) -> int | None:
    """The execution of `state` to show: the one the user chose, else the first that failed
    with an error, else the last."""
    if state is None or not state.executions:
        return None
    if remembered is not None and remembered < len(state.executions):
        return remembered
    for number, execution in enumerate(state.executions):
        if (execution.status or "") in FAILED_STATUSES and execution.error_message:
            return number
    return len(state.executions) - 1


def run_to_open(graph: RunGraph, state: NodeState, chosen: int | None = None) -> str | None:
    """The run `o` opens from a node: the run the chosen execution started (by default the
    first that failed: a group's failed item); for a node of a group's sub-graph, the first item
    run in which it failed; for a group, its first failed item run, else its first; else any
    run the node (or its group) started."""
    if chosen is not None and 0 <= chosen < len(state.executions):
        started = state.executions[chosen].node_run_uuid
        if started:
            return started
    group = state.uuid if state.items is not None else state.scope
    listed = graph.lineage.items.get(group or "")
    if listed is not None:
        if state.items is None and state.slug and listed.failed_at.get(state.slug):
            return listed.failed_at[state.slug][0]
        if listed.failures:
            return listed.failures[0].run_uuid
        if listed.runs and listed.runs[0].uuid:
            return listed.runs[0].uuid
    if state.child_runs:
        return state.child_runs[0]
    owner = graph.states.get(state.scope or "")
    return owner.child_runs[0] if owner is not None and owner.child_runs else None
