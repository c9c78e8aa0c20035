"""`--json`: a machine-readable summary with a documented, stable schema.

Schema `run-inspector/summary@1` (documented in README.md, "JSON output"). Text from the API
is kept as it is; `json.dumps(ensure_ascii=True)` escapes every control and non-ASCII
character, so the output can never drive a terminal. It is strict JSON (`allow_nan=False`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .findings import Finding
from .graph import EdgeKind, RunGraph
from .layout import failed_nodes, node_order

if TYPE_CHECKING:
    from .agent import AgentExecution

SCHEMA = "run-inspector/summary@1"


def json_time(moment: datetime | None) -> str | None:
    """A time as the JSON outputs write it: ISO 8601, `Z` for UTC."""
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


FindingsArg = Sequence[Finding | dict[str, Any]] | None
"""Findings as `Finding`s or as their `to_dict()` form."""


AgentsArg = dict[str, list["AgentExecution"]] | None
"""`agent.load_agents`' answer: node uuid → its executions' agent messages (`--with-agents`)."""


def summary_dict(graph: RunGraph, findings: FindingsArg = None, agents: AgentsArg = None) -> dict[str, Any]:
    """The summary; with `agents`, each node that has agent messages gets `agent` (its last
    execution's) and, when it ran more than once, `agentExecutions` (every one, in order)."""
    summary = graph.summary
    run = graph.run
    nodes: list[dict[str, Any]] = []
    order = node_order(graph)
    shown = set(order)
    for uuid in [*order, *(u for u in graph.states if u not in shown)]:
        state = graph.states[uuid]
        nodes.append(
            {
                "uuid": uuid,
                "slug": state.slug,
                "name": state.node.name if state.node else None,
                "kind": state.kind,
                "action": state.action,
                "scope": state.scope,
                "status": state.status,
                "attempts": state.attempts,
                "credits": state.credits,
                "durationSeconds": state.duration,
                "startedAt": json_time(state.started_at),
                "finishedAt": json_time(state.finished_at),
                "error": state.first_error,
                "inGraph": state.node is not None,
                "children": [
                    {
                        "uuid": edge.target,
                        "label": edge.label,
                        "kind": edge.kind.value,
                        "index": edge.index,
                        "taken": edge.taken,
                        **({"continues": edge.continues} if edge.kind is EdgeKind.FALLBACK else {}),
                    }
                    for edge in state.edges
                ],
                "childRuns": list(state.child_runs),
                "items": (
                    {
                        "total": state.items.total,
                        "done": state.items.done,
                        "failed": state.items.failed,
                        "active": state.items.active,
                        "source": state.items.source,
                        "batchUuid": state.batch_uuid,
                    }
                    if state.items is not None
                    else None
                ),
                **(_agent_fields(agents.get(uuid) or []) if agents is not None else {}),
            }
        )
    return {
        "schema": SCHEMA,
        "run": {
            "uuid": run.uuid,
            "workflowUuid": run.workflow_uuid,
            "workspaceUuid": run.workspace_uuid,
            "parentUuid": run.parent_uuid,
            "recordTitle": run.record_title,
            "status": summary.status,
            "verdict": summary.verdict,
            "verdictSource": summary.verdict_source,
            "lineageCredits": summary.lineage_credits,
            "errorMessage": summary.error_message,
            "createdAt": json_time(summary.created_at),
            "finishedAt": json_time(summary.finished_at),
            "elapsedSeconds": summary.elapsed,
            "credits": summary.credits,
            "counts": dict(sorted(summary.counts.items())),
            "progress": {
                "done": summary.nodes_done,
                "reached": summary.nodes_reached,
                "total": summary.nodes_total,
            },
            "executions": len(run.executions or []),
        },
        "nodes": nodes,
        "failedNodes": failed_nodes(graph),
        "firstFailedNode": summary.first_failed,
        "anomalies": [
            {"kind": a.kind, "message": a.message, "nodeUuid": a.node_uuid, "path": a.path}
            for a in graph.anomalies
        ],
        "findings": [f.to_dict() if isinstance(f, Finding) else f for f in findings or []],
        "failedItems": [
            {
                "groupNodeUuid": node_uuid,
                "runUuid": failure.run_uuid,
                "recordTitle": failure.record_title,
                "nodeSlug": failure.node_slug,
                "error": failure.error,
            }
            for node_uuid, listed in graph.lineage.items.items()
            for failure in listed.failures
        ],
        "moreFailedItems": sum(
            max((listed.failed_count or 0) - len(listed.failures), 0)
            for listed in graph.lineage.items.values()
        ),
        "unavailable": dict(graph.lineage.notes),
    }


def _agent_fields(executions: list[AgentExecution]) -> dict[str, Any]:
    from .agent import agent_dict

    if not executions:
        return {}
    fields: dict[str, Any] = {"agent": agent_dict(executions[-1])}
    if len(executions) > 1:
        fields["agentExecutions"] = [agent_dict(execution) for execution in executions]
    return fields


def dumps(graph: RunGraph, findings: FindingsArg = None, agents: AgentsArg = None) -> str:
    """The summary as strict JSON: a number that is not finite (credits that add up past a
    float's range) is written as null and listed in `anomalies`, never as `NaN`/`Infinity`."""
    summary = summary_dict(graph, findings, agents)
    return strict_dumps(summary)


def strict_dumps(summary: dict[str, Any]) -> str:
    """`summary` as indented, ASCII-only, strict JSON; non-finite numbers become null and are
    listed in its `anomalies` (a list added when it has none)."""
    try:
        return json.dumps(summary, indent=2, ensure_ascii=True, allow_nan=False)
    except ValueError:
        pass  # rare: walk the summary only then
    paths: list[str] = []
    summary = _finite(summary, "", paths)
    summary.setdefault("anomalies", [])
    summary["anomalies"] += [
        {
            "kind": "non-finite-number",
            "message": f"{path} is not a finite number; it is written as null",
            "nodeUuid": None,
            "path": path,
        }
        for path in paths
    ]
    return json.dumps(summary, indent=2, ensure_ascii=True, allow_nan=False)


def _finite(value: Any, path: str, paths: list[str]) -> Any:
    """`value` with every float that is NaN or infinite replaced by None (its path noted)."""
    if isinstance(value, float) and not math.isfinite(value):
        paths.append(path)
        return None
    if isinstance(value, dict):
        return {
            key: _finite(item, f"{path}.{key}" if path else str(key), paths) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_finite(item, f"{path}[{index}]", paths) for index, item in enumerate(value)]
    return value
