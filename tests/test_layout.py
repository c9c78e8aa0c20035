"""The layouts (flat, nested, failed-only), where a run opens, search, and the TUI's labels,
without a terminal."""

from __future__ import annotations

from rich.text import Text

from run_inspector.focus import initial_node
from run_inspector.layout import DEPTH_LIMIT, ItemKind, TreeItem, flat_layout, walk
from run_inspector.layout import display_layout as build_display
from run_inspector.search import search
from run_inspector.ui.header import header_text
from run_inspector.ui.labels import json_label, tree_label

from .helpers import fixture_data, graph_of, node, run_of


def shape(display_root: TreeItem) -> list[str]:
    """Keys with their depth, e.g. '  n:n-sync'."""
    return ["  " * (depth - 1) + item.key for item, parent, depth in walk(display_root) if parent is not None]


def test_flat_display_is_the_print_tree_plus_anomalies() -> None:
    graph = graph_of(fixture_data("failed_run.json"))
    display = build_display(graph)
    assert [c.key for c in display.root.children] == [c.key for c in flat_layout(graph).root.children]
    assert display.path_to("n:n-sync") == ["n:n-branch", "e:n-branch:route:0", "n:n-sync"]
    assert display.node_keys["n-end"] == "n:n-end"


def test_anomalies_get_their_own_group() -> None:
    data = fixture_data("failed_run.json")
    data["run"]["nodes"][0]["childrenUuids"].append(None)
    graph = graph_of(data)
    display = build_display(graph)
    section = display.root.children[-1]
    assert section.key == "s:anomalies"
    assert section.kind is ItemKind.SECTION
    assert any("child 1 is null" in note.text for note in section.children)


def test_failed_only_keeps_failed_nodes_and_their_ancestors() -> None:
    graph = graph_of(fixture_data("failed_run.json"))
    display = build_display(graph, failed=True)
    assert shape(display.root) == [
        "n:n-enrich",
        "n:n-branch",
        "  e:n-branch:route:0",
        "    n:n-sync",
    ]


def test_failed_only_says_so_when_nothing_failed() -> None:
    data = fixture_data("failed_run.json")
    for execution in data["run"]["executions"]:
        execution["status"] = "success"
    display = build_display(graph_of(data), failed=True)
    assert [c.text for c in display.root.children] == ["No failed nodes in this run"]


def test_nested_view_puts_each_node_under_its_parent() -> None:
    graph = graph_of(fixture_data("failed_run.json"))
    lines = shape(build_display(graph, nested=True).root)
    assert lines[:6] == [
        "n:n-start",
        "  n:n-enrich",
        "    n:n-qualify",
        "      n:n-branch",
        "        e:n-branch:route:0",
        "          n:n-loop",
    ]
    assert "    e:n-enrich:fallback:None" in lines
    # Every node is shown in full exactly once.
    full = [line.strip() for line in lines if line.strip().startswith("n:")]
    assert sorted(full) == sorted(f"n:{uuid}" for uuid in graph.states)


def test_nested_view_of_a_long_chain_does_not_recurse_and_stops_at_a_sane_depth() -> None:
    """3,000 levels, parent → child: nothing recurses, and what lies deeper than `DEPTH_LIMIT`
    is listed flat under one "… more levels" line, every node still there."""
    count = 3000
    nodes = [
        {"uuid": f"n{i}", "slug": f"s{i}", "kind": "native", "actionSlug": "start" if i == 0 else "step",
         "childrenUuids": [f"n{i + 1}"] if i + 1 < count else []}
        for i in range(count)
    ]  # fmt: skip
    graph = graph_of({"run": {"uuid": "r", "status": "running", "nodes": nodes, "executions": []}})
    display = build_display(graph, nested=True)
    path = display.path_to(f"n:n{count - 1}")
    assert path[-1] == f"n:n{count - 1}"
    assert len(path) == DEPTH_LIMIT + 2  # the limit, the "more levels" line, the node
    deep = display.items[path[-2]]
    assert deep.kind is ItemKind.SECTION and deep.text == f"… {count - DEPTH_LIMIT:,} more levels, shown flat"
    assert max(depth for _, _, depth in walk(display.root)) == DEPTH_LIMIT + 2
    assert sorted(display.node_order) == sorted(f"n{i}" for i in range(count))


def test_nested_branches_and_fallbacks_600_deep_make_a_tree_in_every_layout() -> None:
    """Each node the "yes" child of the one before (and a chain of fallbacks): the flat layout
    nests too, and the walk is iterative."""
    count = 600
    branches = [node("start", "start", ["b0"])]
    branches += [
        node(f"b{i}", "branch", [f"b{i + 1}" if i + 1 < count else "end", "end"]) for i in range(count)
    ]
    branches.append(node("end", "end"))
    fallbacks = [node("start", "start", ["f0"])]
    fallbacks += [
        node(f"f{i}", "step", ["end"], fallbackChildUuid=f"f{i + 1}" if i + 1 < count else None)
        for i in range(count)
    ]
    fallbacks.append(node("end", "end"))
    for nodes in (branches, fallbacks):
        graph = graph_of(run_of(nodes))
        for nested in (False, True):
            display = build_display(graph, nested=nested)
            assert len(display.node_order) == count + 2
            assert max(depth for _, _, depth in walk(display.root)) <= DEPTH_LIMIT + 2


def test_the_cursor_starts_on_the_first_failure_else_the_running_node() -> None:
    data = fixture_data("failed_run.json")
    assert initial_node(graph_of(data)) == "n-sync"
    for execution in data["run"]["executions"]:
        execution["status"] = "success"
    data["run"]["executions"][-1]["status"] = "running"
    assert initial_node(graph_of(data)) == "n-sync"
    data["run"]["executions"] = []
    assert initial_node(graph_of(data)) == "n-start"


def test_search_looks_at_slug_name_and_error_text() -> None:
    graph = graph_of(fixture_data("failed_run.json"))
    display = build_display(graph)
    assert search(graph, display, "LIFECYCLE") == ["n:n-sync"]
    assert search(graph, display, "notify_owner") == ["n:n-notify"]
    assert search(graph, display, "attempt 2") == ["n:n-enrich"]
    assert search(graph, display, "") == []


def test_labels_mark_search_matches_and_untaken_branches() -> None:
    graph = graph_of(fixture_data("failed_run.json"))
    display = build_display(graph)
    label = tree_label(graph, display.items["n:n-sync"], query="hubspot")
    assert label.plain.startswith("✖ Sync to HubSpot")
    assert any(span.style == "bold black on yellow" for span in label.spans)
    skipped = tree_label(graph, display.items["e:n-branch:route:1"])
    assert skipped.plain == "[no]  (not taken)"
    assert any("dim" in str(span.style) for span in skipped.spans)
    fallback = tree_label(graph, display.items["e:n-enrich:fallback:None"])
    assert fallback.plain == "↯ [on failure (run goes on)]  ← taken"


def test_api_text_is_never_markup_and_loses_control_characters() -> None:
    data = fixture_data("failed_run.json")
    data["run"]["nodes"][8]["name"] = "[@click=app.quit]x[/] \x1b]0;title\x07 [b]y"
    data["run"]["recordTitle"] = "Acme\x1b[2J [/]"
    graph = graph_of(data)
    label = tree_label(graph, build_display(graph).items["n:n-end"])
    assert "[@click=app.quit]x[/]" in label.plain
    assert "\x1b" not in label.plain
    assert all(not str(span.style).startswith("@") for span in label.spans)
    header = header_text(graph, elapsed=1.0, poll=Text("p"), crumbs=None)
    assert "Acme [/]" in header.plain
    assert "\x1b" not in header.plain


def test_json_helpers_show_keys_and_values_literally() -> None:
    assert json_label("a[/]", {"x": 1}).plain == "a[/] {1 key}"
    assert json_label("n", [1, 2]).plain == "n [2 items]"
    assert json_label("s", "v\x1b[31m").plain == 's: "v"'
    assert json_label("k", "\x9b31m[red]").plain == 'k: "[red]"'  # an 8-bit CSI
