"""The TUI driven with Textual's Pilot: each key, each pane, live refresh and failures.

All runs come from local fixtures; a scripted poller stands in for the network where a test
needs to control what arrives and when.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer, Input, Static, TabbedContent, TextArea

from run_inspector.errors import ServerError
from run_inspector.graph import RunGraph
from run_inspector.poller import Transition
from run_inspector.source import FileSource, RunSource, bundle_bytes
from run_inspector.ui.app import InspectorApp, make_app
from run_inspector.ui.panes import (
    PANE_IDS,
    ErrorPane,
    EventsPane,
    EventsTable,
    ExecutionsPane,
    ExecutionTable,
    FindingsPane,
    JsonPane,
    JsonTree,
    OverviewPane,
)
from run_inspector.ui.screens import COMMANDS, HelpScreen, display_keys

from .conftest import child_bodies
from .helpers import PushSource, ScriptedSource, fixture_data
from .ui_helpers import cursor_key, go_to, notices, pane_text, ready, until_loaded

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tab underlines and scrolling animate; tests need not wait for them."""
    monkeypatch.setattr("textual.constants.TEXTUAL_ANIMATIONS", "none")


def text_of(app: InspectorApp, selector: str) -> str:
    widget = app.main.query_one(selector)
    if isinstance(widget, Static):
        return str(widget.render())
    raise TypeError(selector)


def tree_lines(app: InspectorApp) -> list[str]:
    tree = app.run_tree
    lines = []
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        assert node is not None
        lines.append(str(node.label))
    return lines


# -- the first screen -----------------------------------------------------------------


async def test_first_screen_of_a_failed_run_shows_the_failing_node_and_its_error(
    failed_source: FileSource,
) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert cursor_key(app) == "n:n-sync"
        assert app.main.query_one(TabbedContent).active == "error"
        error = pane_text(app, ErrorPane)
        assert 'HubSpot 400: Property "lifecyclestage" [/] has an invalid value [bold]lead[/bold]' in error
        header = text_of(app, "#header")
        assert "error · failed" in header
        assert "Acme Corp" in header
        assert "run-failed-0001" in header and "wf-lead-routing" in header
        assert "26s" in header and "9 cr" in header
        # The path to the failing node is open, the whole (small) tree too.
        assert app.run_tree.node_for("e:n-branch:route:0") is not None
        assert "✖ Sync to HubSpot · sync_crm  connector/upsert_contact  1 cr" in tree_lines(app)


async def test_the_first_screen_has_its_pane_filled_in_when_the_run_shows(failed_source: FileSource) -> None:
    """Panes are made when first shown; the first screen's is made before the run shows, so the
    moment the tree has lines the error is there too, and no other pane has been made."""
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await until_loaded(pilot)  # no pause: right after the snapshot is handled
        assert app.main.query_one(TabbedContent).active == "error"
        assert "HubSpot 400" in pane_text(app, ErrorPane)
        for pane in (OverviewPane, ExecutionsPane, EventsPane, FindingsPane):
            assert not app.main.query_one(pane).opened, pane
        assert pane_text(app, OverviewPane) == ""


async def test_a_pane_not_on_screen_catches_up_when_shown(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        shown: list[str] = []
        original = OverviewPane.draw

        def counted(pane: OverviewPane, context: Any) -> None:
            shown.append(context.selection.state.uuid)
            original(pane, context)

        OverviewPane.draw = counted  # type: ignore[method-assign]
        try:
            await pilot.press("1")
            assert shown == ["n-sync"] and "uuid        n-sync" in pane_text(app, OverviewPane)
            await pilot.press("3", "k", "k", "k")  # cursor moves with the Error pane on screen
            assert shown == ["n-sync"]  # the Overview, not on screen, is left as it is
            moved_to = cursor_key(app)
            assert moved_to is not None and moved_to != "n:n-sync"
            await pilot.press("1")
            uuid = moved_to.split(":", 1)[1]
            assert shown[-1] == uuid and f"uuid        {uuid}" in pane_text(app, OverviewPane)
            await pilot.press("3", "1")  # nothing moved: nothing to redraw
            assert len(shown) == 2
        finally:
            OverviewPane.draw = original  # type: ignore[method-assign]


class SlowFile(RunSource):
    """A file that takes its time to read."""

    live = False
    root_uuid = "(file)"
    description = "slow.json"

    async def fetch_bytes(self, run_uuid: str) -> bytes:
        await asyncio.sleep(30)
        raise AssertionError("never read")


async def test_a_file_is_painted_once_with_its_run_or_shows_loading_when_slow(
    failed_source: FileSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file's Loading… screen is not painted when its run is about to show: screen updates
    wait for the run (or a failure), or `FILE_PAINT_HOLD_SECONDS` at the most."""
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await until_loaded(pilot)
        assert app._batch_count == 0  # updates flow again as soon as the run shows
    monkeypatch.setattr("run_inspector.ui.app.FILE_PAINT_HOLD_SECONDS", 0.05)
    slow = make_app(SlowFile())
    async with slow.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        assert slow._batch_count == 0 and slow.graph is None
        assert "Loading (file)" in text_of(slow, "#message")


async def test_the_tree_has_the_print_structure_and_edge_labels(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lines = tree_lines(app)
        assert lines[:4] == [
            "✔ Start  native/start",
            "✖ Enrich company  connector/enrich_company  attempt 2 of 2  2 cr  ↯ fallback",
            "↯ [on failure (run goes on)]  ← taken",
            "✔ Tell the owner on Slack · notify_owner  connector/send_message  1 cr",
        ]
        assert "↪ ✔ Qualify lead  (shown below)" in lines
        assert "[yes]  ← taken" in lines and "[no]  (not taken)" in lines
        assert "for each item: sub-graph of 3 nodes, 3 child runs" in lines
        assert lines[-1] == "· End  native/end"


# -- moving, expanding ----------------------------------------------------------------


async def test_j_k_and_arrows_move_the_cursor(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("j")
        assert cursor_key(app) == "r:n-end"
        await pilot.press("k", "k")
        assert cursor_key(app) == "s:item_end" or cursor_key(app) == "n:s-end"
        await pilot.press("down")
        assert cursor_key(app) == "n:n-sync"
        await pilot.press("up")
        assert cursor_key(app) == "n:s-end"
        # The panes follow the cursor.
        assert "item_end" in pane_text(app, ErrorPane)


async def test_enter_and_space_expand_and_collapse(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, "e:n-branch:route:1")
        node = app.run_tree.cursor_node
        assert node is not None and node.is_expanded
        await pilot.press("space")
        assert not node.is_expanded
        await pilot.press("enter")
        assert node.is_expanded
        await pilot.press("h")
        assert not node.is_expanded
        await pilot.press("l")
        assert node.is_expanded


async def test_enter_on_a_reference_jumps_to_the_full_entry(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, "r:n-qualify")
        await pilot.press("enter")
        assert cursor_key(app) == "n:n-qualify"


async def test_big_trees_open_lazily(failed_source: FileSource) -> None:
    count = 600
    nodes = [
        {"uuid": f"n{i}", "slug": f"s{i}", "kind": "native", "actionSlug": "start" if i == 0 else "step",
         "childrenUuids": [f"n{i + 1}"] if i + 1 < count else []}
        for i in range(count)
    ]  # fmt: skip
    body = json.dumps({"run": {"uuid": "big", "status": "running", "nodes": nodes, "executions": []}})
    app = make_app(FileSource(body.encode(), "big.json"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.run_tree.last_line == count - 1
        await pilot.press("t")  # nested: 600 levels, only the first ones are added
        await pilot.pause()
        assert app.run_tree.node_for(f"n:n{count - 1}") is None
        await pilot.press("G")
        assert len(app.run_tree._by_key) < 10


# -- failed-only, next/previous failure, nested -------------------------------------------


async def test_f_shows_only_failed_nodes_and_their_ancestors(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f")
        assert tree_lines(app) == [
            "✖ Enrich company  connector/enrich_company  attempt 2 of 2  2 cr  ↯ fallback",
            "✔ Qualified? · is_qualified  native/branch",
            "[yes]  ← taken",
            "✖ Sync to HubSpot · sync_crm  connector/upsert_contact  1 cr",
        ]
        assert cursor_key(app) == "n:n-sync"
        assert "failed nodes and their ancestors only" in text_of(app, "#tree-mode")
        await pilot.press("f")
        assert len(tree_lines(app)) == 19
        assert cursor_key(app) == "n:n-sync"
        assert not app.main.query_one("#tree-mode").display


async def test_n_and_shift_n_go_to_the_next_and_previous_failed_node(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n")  # wraps around to the first failure
        assert cursor_key(app) == "n:n-enrich"
        await pilot.press("n")
        assert cursor_key(app) == "n:n-sync"
        await pilot.press("N")
        assert cursor_key(app) == "n:n-enrich"
        assert "Clearbit timed out" in pane_text(app, ErrorPane)


async def test_t_switches_to_the_fully_nested_tree_and_back(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("t")
        tree = app.run_tree
        assert cursor_key(app) == "n:n-sync"
        node = tree.cursor_node
        assert node is not None
        ancestors = []
        while node.parent is not None and node.parent.data is not None and node.parent is not tree.root:
            node = node.parent
            assert node.data is not None
            ancestors.append(node.data.key)
        assert ancestors[-4:] == ["n:n-branch", "n:n-qualify", "n:n-enrich", "n:n-start"]
        assert "fully nested" in text_of(app, "#tree-mode")
        await pilot.press("t")
        assert cursor_key(app) == "n:n-sync"
        assert tree_lines(app)[0] == "✔ Start  native/start"


# -- search --------------------------------------------------------------------------


async def test_slash_searches_highlights_and_enter_jumps(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash")
        search = app.main.query_one("#search", Input)
        assert search.has_focus
        await pilot.press(*"timed")
        assert app.main.matches == ["n:n-enrich"]
        assert "1 match" in text_of(app, "#search-count")
        # Typing never triggers the app's keys (the 'o', 'u', 't' above did nothing).
        assert len(app.stack) == 1 and not app.main.nested
        node = app.run_tree.node_for("n:n-enrich")
        assert node is not None
        assert "⌕" in str(node.label)  # the match is in the error text, not the name
        await pilot.press("enter")
        assert cursor_key(app) == "n:n-enrich"
        assert app.run_tree.has_focus
        await pilot.press("slash", "ctrl+u", *"quali", "enter")
        assert cursor_key(app) == "n:n-qualify"
        spans = [str(s.style) for s in app.run_tree.node_for("n:n-qualify").label.spans]  # type: ignore[union-attr]
        assert "bold black on yellow" in spans
        await pilot.press("escape")
        assert app.main.query_text == "" and app.main.matches == []


# -- clipboard -----------------------------------------------------------------------


async def test_c_and_shift_c_copy_the_node_and_run_uuids(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("c")
        assert app.clipboard == "n-sync"
        await pilot.press("C")
        assert app.clipboard == "run-failed-0001"
        await pilot.press("y")  # the Error pane: its full text
        assert app.clipboard.startswith("HubSpot 400: Property")
        assert "Copied run uuid run-failed-0001" in notices(app)


# -- panes ---------------------------------------------------------------------------


async def test_overview_pane(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("N", "1")
        assert app.main.query_one(TabbedContent).active == "overview"
        text = pane_text(app, OverviewPane)
        for expected in (
            "uuid        n-enrich",
            "slug        enrich_company",
            "kind/action connector/enrich_company",
            "up to 2 attempts, first wait 1000 ms, backoff ×2",
            "Tell the owner on Slack (the run goes on, it ran)",
            "[next] Qualify lead  (not taken)",
        ):
            assert expected in text
        config = app.main.query_one("#config-tree", JsonTree)  # the config: a JSON tree, opened
        lines = [str(config.get_node_at_line(n).label) for n in range(config.last_line + 1)]  # type: ignore[union-attr]
        assert lines[0].startswith("config {") and 'domain: "{{nodes.start.domain}}"' in lines
        await go_to(pilot, "n:n-branch")
        text = pane_text(app, OverviewPane)
        assert "[yes] For each contact  ← taken" in text
        assert "[no] Mark as skipped  (not taken)" in text


async def test_executions_pane_row_selects_the_execution_for_the_other_panes(
    failed_source: FileSource,
) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("N", "2")
        table = app.main.query_one(ExecutionTable)
        assert table.row_count == 2
        row = [str(cell) for cell in table.get_row_at(1)]
        assert row[:5] == ["2", "✖ error", "09:00:05", "3.0s", "1 cr"]
        assert row[5] == "❌ Timed out"
        assert table.cursor_row == 0  # the first failed execution
        table.focus()
        await pilot.press("j")
        assert app.view.executions["n-enrich"] == 1
        await pilot.press("3")
        assert "execution 2 of 2" in pane_text(app, ErrorPane)
        assert "(attempt 2)" in pane_text(app, ErrorPane)
        await pilot.press("2")
        assert table.has_focus and table.cursor_row == 1  # the focus went with the tabs, and back
        await pilot.press("k", "3")
        assert "execution 1 of 2" in pane_text(app, ErrorPane)


async def test_executions_pane_shows_child_index_next_node_and_child_run(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await go_to(pilot, "n:n-branch")
        table = app.main.query_one(ExecutionTable)
        assert [str(c) for c in table.get_row_at(0)][6:8] == ["yes", "For each contact"]
        await go_to(pilot, "n:n-loop")
        assert [str(table.get_row_at(i)[8]) for i in range(3)] == [
            "run-child-1",
            "run-child-2",
            "run-child-3",
        ]


async def test_output_and_input_panes_are_json_trees(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, "n:n-qualify")
        await pilot.press("4")
        output = app.main.query_one("#output-pane", JsonPane)
        tree = output.query_one(JsonTree)
        labels = [str(child.label) for child in tree.root.children]
        assert labels == ["answer {3 keys}"]
        assert [str(c.label) for c in tree.root.children[0].children] == [
            "qualified: true",
            "score: 82",
            'reason: "B2B SaaS, 200 employees"',
        ]
        await pilot.press("5")
        source = app.main.query_one("#input-pane", JsonPane)
        assert [str(c.label) for c in source.query_one(JsonTree).root.children] == [
            'prompt: "Is Acme Corp a fit?"'
        ]
        await pilot.press("y")
        assert json.loads(app.clipboard) == {"prompt": "Is Acme Corp a fit?"}


async def test_panes_say_plainly_when_there_is_nothing_to_show(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, "n:n-skip")
        await pilot.press("2")
        assert "Not reached" in text_of(app, "#executions-note")
        await pilot.press("4")
        assert "Not reached" in str(app.main.query_one("#output-pane .json-note", Static).render())
        await pilot.press("3")
        assert "Not reached" in pane_text(app, ErrorPane)
        await pilot.press("4")
        await go_to(pilot, "n:n-sync")
        assert "No output recorded" in str(app.main.query_one("#output-pane .json-note", Static).render())
        await pilot.press("3")
        await go_to(pilot, "n:s-find")
        assert "child runs" in pane_text(app, ErrorPane)


async def test_number_keys_switch_panes_and_z_zooms(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tabs = app.main.query_one(TabbedContent)
        for key, tab in zip(
            "123456", ("overview", "executions", "error", "output", "input", "events"), strict=True
        ):
            await pilot.press(key)
            assert tabs.active == tab
        await pilot.press("z")
        assert app.main.has_class("-zoomed")
        assert app.main.query_one("#left").region.width == 0
        await pilot.press("z")
        assert not app.main.has_class("-zoomed")
        await pilot.press("z", "escape")
        assert not app.main.has_class("-zoomed")


async def test_number_keys_switch_panes_from_inside_the_error_text(failed_source: FileSource) -> None:
    """With the error's text area focused, its sibling (the run error) would take the focus
    when the pane hides, and Textual would show the pane again: the focus follows the tab."""
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tabs = app.main.query_one(TabbedContent)
        for key, tab in zip("123456789"[: len(PANE_IDS)], PANE_IDS, strict=True):
            await pilot.press("3")
            app.main.query_one("#error-text", TextArea).focus()
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == tab
            focused = app.focused
            assert focused is not None and tabs.get_pane(tab) in focused.ancestors_with_self
        app.main.query_one("#error-text", TextArea).focus()
        await pilot.press("shift+right", "shift+right", "shift+right", "ctrl+c")  # select, copy
        assert app.clipboard == "Hub"


async def test_the_footer_shows_the_keys_and_a_click_presses_one(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        keys = list(app.main.query_one(Footer).query("FooterKey"))
        line = " ".join(f"{key.key_display} {key.description}" for key in keys)  # type: ignore[attr-defined]
        assert line.startswith("? help / search f failed n next fail o open run u back w why z zoom")
        assert line.endswith("^p palette")
        await pilot.hover(keys[0])  # "? help" is highlighted under the mouse
        assert app.mouse_over is keys[0]
        await pilot.hover(keys[-1])
        assert keys[-1].tooltip == "Open the command palette"  # the binding's tooltip
        await pilot.click(keys[0])
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_help_screen_lists_every_key(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        for command in COMMANDS:
            assert command.help in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


def test_the_readme_key_tables_are_made_from_the_key_table() -> None:
    """`python scripts/readme_keys.py` writes them: a key added without it fails here."""
    from scripts.readme_keys import updated

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert updated(readme) == readme
    section = readme.split("<!-- keys -->", 1)[1].split("<!-- /keys -->", 1)[0]
    for command in COMMANDS:
        for key in display_keys(command).replace("⌫", "backspace").replace("escape", "esc").split():
            assert f"`{key}`" in section, key


async def test_every_action_is_in_the_command_palette(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE):
        titles = {command.title for command in app.get_system_commands(app.screen)}
    for command in COMMANDS:
        assert command.help in titles or command.action == "quit"
    assert "Quit" in titles


async def test_q_quits_with_status_zero(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


# -- child runs ------------------------------------------------------------------------


async def test_o_opens_the_child_run_and_u_comes_back(bundle_source: FileSource) -> None:
    app = make_app(bundle_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, "n:n-loop")
        await pilot.press("2")
        table = app.main.query_one(ExecutionTable)
        table.focus()
        await pilot.press("j", "j")  # the third execution started run-child-3
        await pilot.press("o")
        for _ in range(100):
            if app.graph is not None and app.graph.run.uuid == "run-child-3":
                break
            await pilot.pause(0.01)
        await ready(pilot)
        assert [view.fetch_uuid for view in app.stack] == ["(file)", "run-child-3"]
        assert cursor_key(app) == "n:s-find"
        assert "Hunter 404" in pane_text(app, ErrorPane)
        header = text_of(app, "#header")
        assert "Acme Corp › Acme Corp · contact 3" in header
        await pilot.press("backspace")
        await ready(pilot)
        assert len(app.stack) == 1
        assert cursor_key(app) == "n:n-loop"
        assert app.main.query_one(TabbedContent).active == "executions"
        app.main.query_one(ExecutionTable).focus()
        await pilot.press("enter")  # enter on the remembered row opens the third child again
        await pilot.pause(0.05)
        await ready(pilot)
        assert app.view.fetch_uuid == "run-child-3"
        await pilot.press("u")
        await ready(pilot)
        assert app.view.fetch_uuid == "(file)"


async def test_o_on_a_file_without_the_child_run_says_so(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await go_to(pilot, "n:n-loop")
        await pilot.press("o")
        for _ in range(100):
            if len(app.stack) == 1 and any("not in" in n for n in notices(app)):
                break
            await pilot.pause(0.01)
        assert (
            "run run-child-3 is not in failed_run.json (this file holds one run: open the child runs "
            "in the app (o), then save a bundle (s))" in notices(app)
        )
        assert len(app.stack) == 1
        assert cursor_key(app) == "n:n-loop"
        await go_to(pilot, "n:n-start")
        await pilot.press("o")
        assert any("started no child run" in n for n in notices(app))


async def test_u_on_a_child_run_opens_its_parent(failed_body: bytes) -> None:
    child = child_bodies()["run-child-2"]
    source = FileSource(bundle_bytes(child, {"run-failed-0001": failed_body}), "child.json")
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert "u opens the parent run" in text_of(app, "#header")
        await pilot.press("u")
        for _ in range(100):
            if app.graph is not None and app.graph.run.uuid == "run-failed-0001":
                break
            await pilot.pause(0.01)
        await ready(pilot)
        assert [view.fetch_uuid for view in app.stack] == ["run-failed-0001"]
        assert cursor_key(app) == "n:n-loop"  # the group node that started the child


# -- live runs: the test pushes what the poller fetches ----------------------------------------


def running_version() -> dict[str, Any]:
    """The failed fixture a moment earlier: enrichment went well, sync_crm still running."""
    data = fixture_data("failed_run.json")
    run = data["run"]
    for execution in run["executions"][1:3]:
        execution["status"] = "success"
        execution["errorMessage"] = None
    run["status"] = "running"
    run["errorMessage"] = None
    run["finishedAt"] = None
    sync = run["executions"][-1]
    sync["status"] = "running"
    sync["errorMessage"] = None
    sync["finishedAt"] = None
    return data


def live_app(interval: float = 0.01) -> tuple[InspectorApp, PushSource]:
    """An app on a live run that answers with what the test pushes (the real poller fetches)."""
    source = PushSource()
    return make_app(source, interval=interval), source


async def pushed(pilot: Pilot[None], source: PushSource, answer: dict[str, Any] | Exception) -> None:
    """Hand the poller `answer`, and wait until the app has taken it in."""
    app = pilot.app
    assert isinstance(app, InspectorApp)
    before = app.graph
    source.push(answer)
    for _ in range(300):
        await pilot.pause(0.01)
        status = app.feed.status
        if isinstance(answer, Exception):
            if status is not None and status.error is not None:
                break
        elif app.graph is not before and app.graph is not None:
            break
    await pilot.pause()


async def events_on_screen(pilot: Pilot[None], source: PushSource) -> EventsTable:
    """The running version shown, then the Events pane."""
    await pushed(pilot, source, running_version())
    await ready(pilot)
    await pilot.press("6")
    return pilot.app.query_one(EventsTable)


def event_rows(events: EventsTable) -> list[str]:
    return [" ".join(str(c) for c in events.get_row_at(i)[1:]) for i in range(events.row_count)]


async def test_a_refresh_updates_the_tree_in_place_and_keeps_the_place(
    failed_source: FileSource,
) -> None:
    app, source = live_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pushed(pilot, source, running_version())
        await ready(pilot)
        assert cursor_key(app) == "n:n-sync"  # the running node
        tree = app.run_tree
        # Go somewhere, change what is open, pick a tab and an execution row.
        await go_to(pilot, "n:n-enrich")
        await pilot.press("2")
        app.main.query_one(ExecutionTable).focus()
        await pilot.press("k", "j")  # choose the second execution (the default will change)
        assert app.view.executions == {"n-enrich": 1}
        skip_edge = tree.node_for("e:n-branch:route:1")
        assert skip_edge is not None
        skip_edge.collapse()
        start_node = tree.node_for("n:n-start")
        sync_node = tree.node_for("n:n-sync")
        scroll = tree.scroll_offset
        await pilot.pause()

        await pushed(pilot, source, fixture_data("failed_run.json"))

        assert tree.node_for("n:n-start") is start_node  # same tree node: updated, not rebuilt
        assert tree.node_for("n:n-sync") is sync_node
        assert str(sync_node.label).startswith("✖ Sync to HubSpot")  # type: ignore[union-attr]
        assert cursor_key(app) == "n:n-enrich"
        assert tree.scroll_offset == scroll
        assert not skip_edge.is_expanded
        assert app.main.query_one(TabbedContent).active == "executions"
        assert app.main.query_one(ExecutionTable).cursor_row == 1
        # The change is marked for a moment, listed in Events, and the end is announced.
        assert "n-sync" in tree.flashing
        assert any(str(s.style) == "on #4a4100" for s in sync_node.label.spans)  # type: ignore[union-attr]
        await pilot.press("6")
        events = app.main.query_one(EventsTable)
        rows = event_rows(events)
        assert "sync_crm running → error" in rows
        assert "run running → error" in rows
        assert "The run finished: error" in notices(app)
        # enter on an event goes to its node.
        events.focus()
        events.move_cursor(row=rows.index("sync_crm running → error"))
        await pilot.press("enter")
        assert cursor_key(app) == "n:n-sync"
        assert tree.has_focus


async def test_the_events_pane_on_screen_lists_a_refresh_as_it_comes() -> None:
    app, source = live_app()
    async with app.run_test(size=SIZE) as pilot:
        events = await events_on_screen(pilot, source)
        assert events.row_count == 0
        assert "No status changes yet" in text_of(app, "#events-note")
        await pushed(pilot, source, fixture_data("failed_run.json"))
        rows = event_rows(events)
        assert "sync_crm running → error" in rows and "run running → error" in rows
        assert f"{len(rows)} status change(s) seen" in text_of(app, "#events-note")


async def test_a_flood_of_events_is_listed_a_few_hundred_rows_per_step() -> None:
    """A 1% refresh of 200k executions brings ~2,000 status changes: the Events table takes
    them in steps, so keys and repaints get in between (one step held the UI ~100 ms)."""
    app, source = live_app()
    async with app.run_test(size=SIZE) as pilot:
        events = await events_on_screen(pilot, source)
        at = datetime(2026, 11, 20, 9, 1, tzinfo=UTC)
        flood = [Transition(at, "n-sync", f"sync_crm (attempt {i})", "running", "error") for i in range(450)]
        events.add_events(flood)
        assert events.row_count == EventsTable.ROWS_PER_STEP  # the first step, at once
        assert events.pending == 450 - EventsTable.ROWS_PER_STEP
        for _ in range(100):
            if not events.pending:
                break
            await pilot.pause(0.01)
        assert events.row_count == 450 and events.pending == 0
        assert events.cursor_row == 449  # the newest, once all are in
        assert "sync_crm (attempt 449)" in str(events.get_row_at(449)[1])
        events.reset([])
        assert events.row_count == 0 and events.pending == 0


async def test_findings_the_poller_computed_are_shown_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core poller computes the findings in its worker thread; the app does not redo them."""
    from run_inspector.findings import Finding

    given = [Finding("missing-output", "warning", "n-enrich", "from the feed")]
    monkeypatch.setattr("run_inspector.poller.compute_findings", lambda graph, **options: given)

    def never(graph: RunGraph) -> list[Finding]:
        raise AssertionError("the app computed the findings again")

    monkeypatch.setattr("run_inspector.ui.app.compute_findings", never)
    app, source = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await pushed(pilot, source, running_version())
        await ready(pilot)
        assert app.view.findings is given
        assert "Findings 1" in str(app.main.query_one(TabbedContent).get_tab("findings").label)


async def test_the_cursor_follows_the_run_until_the_user_moves() -> None:
    app, source = live_app()
    async with app.run_test(size=SIZE) as pilot:
        early = running_version()
        early["run"]["executions"] = early["run"]["executions"][:5]  # up to qualify
        early["run"]["executions"][-1]["status"] = "running"
        await pushed(pilot, source, early)
        await ready(pilot)
        assert cursor_key(app) == "n:n-qualify"
        await pushed(pilot, source, running_version())
        assert cursor_key(app) == "n:n-sync"
        await pilot.press("k")
        await pushed(pilot, source, fixture_data("failed_run.json"))
        assert cursor_key(app) == "n:s-end"


async def test_a_new_node_is_added_in_place() -> None:
    app, source = live_app()
    async with app.run_test(size=SIZE) as pilot:
        data = running_version()
        nodes = data["run"]["nodes"]
        end = nodes.pop()
        nodes[6]["childrenUuids"] = []  # n-skip
        nodes[7]["childrenUuids"] = []  # n-sync
        await pushed(pilot, source, data)
        await ready(pilot)
        start_node = app.run_tree.node_for("n:n-start")
        assert app.run_tree.node_for("n:n-end") is None
        nodes[6]["childrenUuids"] = ["n-end"]
        nodes[7]["childrenUuids"] = ["n-end"]
        nodes.append(end)
        await pushed(pilot, source, data)
        assert app.run_tree.node_for("n:n-start") is start_node
        assert tree_lines(app)[-1] == "· End  native/end"
        assert "↪ · End  (shown below)" in tree_lines(app)


async def test_p_pauses_and_r_refreshes_through_the_poller() -> None:
    app, source = live_app(interval=60.0)  # after a fetch, the poller waits a minute
    async with app.run_test(size=SIZE) as pilot:
        await pushed(pilot, source, running_version())
        await ready(pilot)
        assert "● live · updated" in text_of(app, "#header")
        assert source.fetches == 1
        await pilot.press("p")
        poller = app.feed.poller
        assert poller is not None and poller.paused
        assert "⏸ paused" in text_of(app, "#header")
        await pilot.press("p")  # resuming fetches at once
        await pilot.pause(0.05)
        assert not poller.paused and source.fetches == 2
        await pushed(pilot, source, running_version())
        await pilot.press("r")  # fetches now instead of in a minute
        await pilot.pause(0.05)
        assert source.fetches == 3


async def test_r_fetches_a_file_again(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        first = app.feed.worker
        await pilot.press("r")
        await pilot.pause()
        assert app.feed.worker is not first
        await pilot.press("p")
        assert any("Nothing to pause" in n for n in notices(app))


async def test_a_failed_poll_keeps_the_last_good_data_and_says_so() -> None:
    app, source = live_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pushed(pilot, source, running_version())
        await ready(pilot)
        await pushed(pilot, source, ServerError("the server answered 502 Bad Gateway", status_code=502))
        header = text_of(app, "#header")
        assert "⚠ stale · last ok" in header
        assert re.search(r"retrying in \d+ s", header)
        assert "502 Bad Gateway" in header
        assert any("502 Bad Gateway" in n for n in notices(app))
        assert cursor_key(app) == "n:n-sync"  # still there
        assert app.graph is not None and app.graph.summary.status == "running"  # the last good data
        app.feed.refresh_now()  # rather than wait out the back-off
        await pushed(pilot, source, fixture_data("failed_run.json"))
        assert "stale" not in text_of(app, "#header")


async def test_a_run_that_cannot_be_read_is_shown_as_an_error() -> None:
    app = make_app(FileSource(b"<html>502 Bad Gateway</html>", "bad.json"))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if app.header.problem:
                break
            await pilot.pause(0.01)
        await pilot.pause()
        message = text_of(app, "#message")
        assert "Could not load" in message
        assert "HTML page" in message
        assert "polling stopped" in text_of(app, "#header")
        screen = app.export_screenshot()
        assert "Pane" not in screen and "overview-pane" not in screen  # no pane draws its own name


async def test_api_text_never_acts_as_markup_or_escape_codes(failed_body: bytes) -> None:
    data = json.loads(failed_body)
    data["run"]["recordTitle"] = "[@click=app.quit]Acme[/] \x1b]0;pwned\x07"
    data["run"]["nodes"][7]["name"] = "[@click=app.quit]Sync[/]\x1b[2J"
    data["run"]["executions"][-1]["errorMessage"] = "[/] \x1b[31mred\x1b[0m [link=http://x]y[/link]"
    data["run"]["executions"][-1]["title"] = "[bold]t[/]"
    app = make_app(FileSource(json.dumps(data).encode(), "evil.json"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        assert (
            "[@click=app.quit]Sync[/]"
            in tree_lines(app)[
                tree_lines(app).index(next(line for line in tree_lines(app) if "Sync[/]" in line))
            ]
        )
        assert "[/] red [link=http://x]y[/link]" in pane_text(app, ErrorPane)
        assert "[@click=app.quit]Acme[/]" in text_of(app, "#header")
        for text in (*tree_lines(app), pane_text(app, ErrorPane), text_of(app, "#header")):
            assert "\x1b" not in text and "\x07" not in text
        node = app.run_tree.node_for("n:n-sync")
        assert node is not None and not any(s.style and "@click" in str(s.style) for s in node.label.spans)  # type: ignore[union-attr]
        await pilot.click("#tree", offset=(8, node.line))
        await pilot.pause()
        assert app.is_running


async def test_notifications_quote_api_text_literally(failed_body: bytes) -> None:
    data = json.loads(failed_body)
    data["run"]["nodes"][0]["name"] = "[/] [@click=app.quit]Start[/]"
    app = make_app(FileSource(json.dumps(data).encode(), "evil.json"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await go_to(pilot, "n:n-start")
        await pilot.press("o")  # "… started no child run", with the node's name in it
        await pilot.pause()
        assert "[/] [@click=app.quit]Start[/] started no child run" in notices(app)
        await pilot.click("Toast")
        await pilot.pause()
        assert app.is_running


class SequenceSource(ScriptedSource):
    """A live run answering each fetch with the next body or error (the last one repeats)."""

    live = True
    root_uuid = "run-failed-0001"
    description = "sequence"


async def test_the_core_poller_drives_the_app_through_an_outage(failed_body: bytes) -> None:
    running = json.dumps(running_version()).encode()
    outage = ServerError("the server answered 503", status_code=503)
    source = SequenceSource(running, outage, failed_body)
    app = make_app(source, interval=0.05)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        for _ in range(100):
            if app.feed.status is not None and app.feed.status.state == "stale":
                break
            await pilot.pause(0.01)
        assert "⚠ stale" in text_of(app, "#header") and "503" in text_of(app, "#header")
        assert app.graph is not None and app.graph.summary.status == "running"  # kept on screen
        for _ in range(300):  # the poller backs off about a second, then finds the end
            if app.feed.status is not None and app.feed.status.state == "finished":
                break
            await pilot.pause(0.01)
        await pilot.pause()
        assert "■ finished" in text_of(app, "#header")
        assert "error · failed" in text_of(app, "#header")
        assert "The run finished: error" in notices(app)
        assert cursor_key(app) == "n:n-sync"
