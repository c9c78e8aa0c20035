"""Searching a run's nodes: by slug, name and error text. No Textual import."""

from __future__ import annotations

from .graph import NodeState, RunGraph
from .layout import ItemKind, Layout


def node_matches(state: NodeState, query: str) -> bool:
    """Does the search text occur in the node's slug, name or error text (any case)?"""
    needle = query.casefold()
    if not needle:
        return False
    node = state.node
    fields = [state.slug, node.name if node is not None else None, state.first_error]
    fields.extend(e.error_message for e in state.executions)
    return any(needle in value.casefold() for value in fields if value)


def search(graph: RunGraph, layout: Layout, query: str) -> list[str]:
    """Keys of the node items that match `query`, in display order."""
    if not query:
        return []
    found: list[str] = []
    for key in layout.order:
        item = layout.items[key]
        if item.kind is not ItemKind.NODE:
            continue
        state = graph.states.get(item.node_uuid or "")
        if state is not None and node_matches(state, query):
            found.append(key)
    return found
