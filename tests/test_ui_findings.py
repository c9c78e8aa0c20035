"""The Findings pane and the why view (`w`), driven with Pilot on local fixtures.

The wrong-path fixture is the "success but wrong" run of the issue: the branch reads
`{{nodes.qualify.qualified}}` while the agent put its answer under `answer`.
"""

from __future__ import annotations

import json

import pytest
from rich.console import Group
from rich.padding import Padding
from textual.widgets import Static, TabbedContent

from run_inspector.source import FileSource
from run_inspector.ui.app import InspectorApp, make_app
from run_inspector.ui.panes import FindingsList
from run_inspector.ui.screens import WhyScreen

from .helpers import fixture_bytes, fixture_data
from .ui_helpers import cursor_key, go_to, ready

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("textual.constants.TEXTUAL_ANIMATIONS", "none")


def wrong_path_source() -> FileSource:
    return FileSource(fixture_bytes("findings_wrong_path.json"), "findings_wrong_path.json")


def findings_list(app: InspectorApp) -> FindingsList:
    return app.main.query_one(FindingsList)


def listed_text(app: InspectorApp) -> list[str]:
    """The findings as shown, one string per finding."""
    box = findings_list(app)
    texts = []
    for index in range(box.option_count):
        option = box.get_option_at_index(index)
        if option.id is not None:
            prompt = option.prompt
            assert isinstance(prompt, Group)
            head, body = prompt.renderables
            assert isinstance(body, Padding)
            texts.append(f"{head}\n{body.renderable}")
    return texts


def findings_tab_label(app: InspectorApp) -> str:
    return app.main.query_one(TabbedContent).get_tab("findings").label.plain


def why_text(app: InspectorApp) -> str:
    assert isinstance(app.screen, WhyScreen)
    return str(app.screen.query_one("#why-text", Static).render())


# -- the Findings pane ------------------------------------------------------------------------


async def test_a_run_that_succeeded_but_went_wrong_opens_on_its_findings() -> None:
    app = make_app(wrong_path_source())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.main.query_one(TabbedContent).active == "findings"
        assert cursor_key(app) == "n:n-branch"  # the node of the most severe finding
        assert findings_tab_label(app) == "Findings 4"
        header = str(app.main.query_one("#header", Static).render())
        assert "✔ success" in header and "⚠ but 4 findings (7)" in header
        assert findings_list(app).highlighted == 0


async def test_the_wrong_path_finding_names_the_path_and_the_fix_and_goes_to_its_node() -> None:
    app = make_app(wrong_path_source())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        texts = listed_text(app)
        assert len(texts) == 4
        first = texts[0]
        assert first.startswith("✖ Qualified? · is_qualified  branch-result")
        assert "reads `nodes.qualify.qualified`, a path that does not exist" in first
        assert "fix: agent output sits under `.answer`: use `nodes.qualify.answer.qualified`" in first
        assert 'computed config: {"condition": null}' in first
        assert texts[1].startswith("⚠ End  missing-path")
        note = str(app.main.query_one("#findings-note", Static).render())
        assert note.startswith("1 error, 3 warnings, most severe first")

        await go_to(pilot, "n:n-start")
        findings_list(app).focus()
        await pilot.press("enter")
        assert cursor_key(app) == "n:n-branch"
        assert app.run_tree.has_focus
        findings_list(app).focus()
        await pilot.press("j", "enter")  # the separator between entries is skipped
        assert cursor_key(app) == "n:n-end"
        assert app.main.query_one(TabbedContent).active == "findings"


async def test_a_failed_run_keeps_its_first_screen_and_lists_its_findings(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert cursor_key(app) == "n:n-sync"
        assert app.main.query_one(TabbedContent).active == "error"
        assert findings_tab_label(app) == "Findings 4"
        header = str(app.main.query_one("#header", Static).render())
        assert "findings" not in header
        await pilot.press("7")
        assert app.main.query_one(TabbedContent).active == "findings"
        texts = listed_text(app)
        assert texts[0].startswith("✖ Sync to HubSpot · sync_crm  failed-node")
        assert "[/] has an invalid value [bold]lead[/bold]" in texts[0]  # API text, literally


async def test_going_to_a_finding_that_f_hides_shows_every_node_again(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f", "7")
        assert app.main.failed_only
        box = findings_list(app)
        box.focus()
        await pilot.press("G", "enter")  # the last finding: End, which did not fail
        assert not app.main.failed_only
        assert cursor_key(app) == "n:n-end"


async def test_the_tab_label_is_short_where_the_tabs_are_cramped(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert findings_tab_label(app) == "⚑ 4"


async def test_a_run_with_no_findings_says_so() -> None:
    data = fixture_data("findings_wrong_path.json")
    data["run"]["nodes"][2]["config"]["condition"] = "{{nodes.qualify.answer.qualified}}"
    data["run"]["nodes"][5]["config"] = {}
    data["runContext"]["end"] = {"qualified": True, "score": 82, "reason": "B2B SaaS"}
    del data["runComputedConfigs"]["end"]
    app = make_app(FileSource(json.dumps(data).encode(), "fixed.json"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.main.query_one(TabbedContent).active == "overview"
        assert findings_tab_label(app) == "Findings"
        await pilot.press("7")
        note = str(app.main.query_one("#findings-note", Static).render())
        assert note == "No findings: nothing looks wrong in this run"
        assert not findings_list(app).display


# -- the why view ----------------------------------------------------------------------------


async def test_w_on_the_failed_node_shows_the_path_the_error_and_the_input(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("w")
        text = why_text(app)
        assert text.startswith("Why ✖ Sync to HubSpot  error  (sync_crm)")
        lines = text.splitlines()
        branch = next(i for i, line in enumerate(lines) if "Qualified?" in line)
        assert lines[branch].endswith("✔ Qualified?  routes")
        assert lines[branch + 1].strip() == "↳ yes  taken"
        assert lines[branch + 2].strip() == 'decided by its computed input: {"condition": true}'
        assert "↳ on failure (run goes on)  taken" in text  # Enrich company's fallback
        assert 'HubSpot 400: Property "lifecyclestage" [/] has an invalid value [bold]lead[/bold]' in text
        assert '"ann@acme.com",' in text  # the resolved input, pretty
        assert 'nodes.contacts_loop.emails → ["ann@acme.com", "bob@acme.com", "cy@acme.com"]' in text
        assert "Findings for this node (1)" in text
        for key in ("escape", "w", "q"):
            if not isinstance(app.screen, WhyScreen):
                await pilot.press("w")
            await pilot.press(key)
            assert not isinstance(app.screen, WhyScreen)
        assert app.is_running  # q closed the view, not the app


async def test_w_on_the_branch_of_the_wrong_path_run_shows_missing_and_the_fix() -> None:
    app = make_app(wrong_path_source())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("w")
        text = why_text(app)
        assert "nodes.qualify.qualified → MISSING" in text
        assert "agent output sits under `.answer`: use `nodes.qualify.answer.qualified`" in text
        assert "↳ no  taken" in text
        assert 'decided by its computed input: {"condition": null}' in text
        assert "Error\nnone" in text


async def test_w_without_a_node_explains_the_run_and_y_copies_the_report(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, "g:n-loop")  # "for each item": a section, no node
        assert app.selected_state() is None
        await pilot.press("w")
        text = why_text(app)
        assert text.startswith("Why ✖ Sync to HubSpot")
        await pilot.press("y")
        assert app.clipboard == text


async def test_w_on_a_node_with_a_fallback_says_what_the_fallback_did(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("N", "w")
        text = why_text(app)
        assert "Why ✖ Enrich company" in text
        assert (
            "failed; the fallback Tell the owner on Slack took over (success) and the run went on; the run ended error"
            in text
        )


async def test_hostile_text_in_findings_and_the_why_view_stays_text() -> None:
    data = fixture_data("findings_wrong_path.json")
    click = "[@click=app.quit]Q[/]"
    data["run"]["nodes"][1]["name"] = f"{click}\x1b]0;pwned\x07\x1b[2J"
    data["run"]["nodes"][2]["name"] = f"{click} [bold]b"
    app = make_app(FileSource(json.dumps(data).encode(), "evil.json"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        first = listed_text(app)[0]
        assert first.startswith(f"✖ {click} [bold]b · is_qualified  branch-result")
        assert f"in the output of {click}" in first
        await pilot.click(FindingsList, offset=(4, 1))
        await pilot.press("w")
        text = why_text(app)
        assert f"Why ✔ {click} [bold]b" in text
        await pilot.click("#why-text", offset=(6, 0))
        for shown in (*listed_text(app), text):
            assert "\x1b" not in shown and "\x07" not in shown
        await pilot.pause()
        assert app.is_running
