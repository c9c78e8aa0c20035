"""Sharing a run: `s` saves a bundle (the run and the child runs opened), `--file` reopens it
offline with those child runs, and `y` copies the selected node's error or output.

The bundle tests open the embedded demo through the real API client, with a sentinel token
in the client and in the environment, and grep the saved file for it.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from run_inspector.client import CargoClient
from run_inspector.config import Secret
from run_inspector.demo import DEMO_API_URL, DEMO_GROUP_NODE_UUID, DEMO_RUN_UUID, DemoTransport
from run_inspector.poller import Poller, Snapshot
from run_inspector.source import BUNDLE_KEY, ApiSource, FileSource, bundle_name, write_bundle
from run_inspector.ui.app import InspectorApp, make_app
from run_inspector.ui.panes import ExecutionTable

from .conftest import CHILD_RUNS
from .ui_helpers import go_to, notices

SIZE = (120, 36)
SENTINEL = "SENTINEL-bundle-91c3e07a5f2d4b68"


@pytest.fixture(autouse=True)
def no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("textual.constants.TEXTUAL_ANIMATIONS", "none")


async def until(pilot: Pilot[None], done: object, tries: int = 300) -> None:
    for _ in range(tries):
        if done():  # type: ignore[operator]
            break
        await pilot.pause(0.01)
    await pilot.pause()


async def ready(pilot: Pilot[None]) -> InspectorApp:
    app = pilot.app
    assert isinstance(app, InspectorApp)
    await until(pilot, lambda: app.graph is not None and app.run_tree.cursor_node is not None)
    return app


async def shown(pilot: Pilot[None], run_uuid: str) -> InspectorApp:
    app = pilot.app
    assert isinstance(app, InspectorApp)
    await until(pilot, lambda: app.graph is not None and app.graph.run.uuid == run_uuid)
    return await ready(pilot)


def demo_source() -> ApiSource:
    """The finished demo run through the real client, which holds the sentinel token."""
    client = CargoClient(DEMO_API_URL, Secret(SENTINEL), transport=DemoTransport(finished=True))
    return ApiSource(client, DEMO_RUN_UUID, "the embedded demo", live=False)


def saved_notices(app: InspectorApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Saved a bundle"]


async def save(pilot: Pilot[None], folder: Path) -> Path:
    """Press s and wait until the app says it saved the file."""
    app = await ready(pilot)
    before, count = set(folder.iterdir()), len(saved_notices(app))
    await pilot.press("s")
    await until(pilot, lambda: len(saved_notices(app)) > count)
    (path,) = set(folder.iterdir()) - before
    return path


# -- s: saving a bundle ---------------------------------------------------------------------------


async def test_s_saves_the_run_and_the_child_runs_opened_and_never_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARGO_API_TOKEN", SENTINEL)
    monkeypatch.chdir(tmp_path)
    app = make_app(demo_source())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await go_to(pilot, f"n:{DEMO_GROUP_NODE_UUID}")
        await pilot.press("o")
        await until(pilot, lambda: len(app.stack) == 2 and app.graph is not None)
        child = app.view.fetch_uuid
        await shown(pilot, child)
        await pilot.press("u")
        await shown(pilot, DEMO_RUN_UUID)
        path = await save(pilot, tmp_path)
        assert path.name == f"run-{DEMO_RUN_UUID}.bundle.json"
        (saved,) = saved_notices(app)
        assert (
            saved == f"The run and 1 other run opened, in {path}\nrun-inspector --file {path.name} reopens it"
        )
    raw = path.read_bytes()
    assert SENTINEL.encode() not in raw and SENTINEL[8:24].encode() not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(raw)
    assert data["run"]["uuid"] == DEMO_RUN_UUID
    assert list(data[BUNDLE_KEY]["runs"]) == [child]
    assert data[BUNDLE_KEY]["version"] == 1

    # A second app reopens it offline, as `run-inspector --file` does, and opens the child run.
    reopened = make_app(FileSource.open(str(path)))
    async with reopened.run_test(size=SIZE, notifications=True) as pilot:
        await shown(pilot, DEMO_RUN_UUID)
        await go_to(pilot, f"n:{DEMO_GROUP_NODE_UUID}")
        await pilot.press("2")
        table = reopened.main.query_one(ExecutionTable)
        row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[8]) == child)
        table.focus()
        table.move_cursor(row=row)
        await pilot.press("o")
        await shown(pilot, child)
        assert [view.fetch_uuid for view in reopened.stack] == ["(file)", child]
        await pilot.press("u")
        await shown(pilot, DEMO_RUN_UUID)
        # A child run that was not opened before saving is not in the bundle, and it says why.
        table = reopened.main.query_one(ExecutionTable)
        other = next(i for i in range(table.row_count) if str(table.get_row_at(i)[8]) not in ("", child))
        table.focus()
        table.move_cursor(row=other)
        await pilot.press("o")
        await until(pilot, lambda: any("is not in" in n for n in notices(reopened)))
        assert any(
            n.endswith(
                "is not in " + str(path) + " (a bundle holds the runs that were open when it was saved)"
            )
            for n in notices(reopened)
        )
        assert len(reopened.stack) == 1


async def test_saving_again_never_overwrites(failed_source: FileSource, tmp_path: Path) -> None:
    app = make_app(failed_source)
    app.save_dir = tmp_path
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        first = await save(pilot, tmp_path)
        second = await save(pilot, tmp_path)
    assert first.name == "run-run-failed-0001.bundle.json"
    assert second.name == "run-run-failed-0001-2.bundle.json"
    assert first.read_bytes() == second.read_bytes()


async def test_a_reopened_bundle_saved_again_keeps_all_its_runs(
    bundle_source: FileSource, tmp_path: Path
) -> None:
    app = make_app(bundle_source)
    app.save_dir = tmp_path
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        path = await save(pilot, tmp_path)
    runs = json.loads(path.read_bytes())[BUNDLE_KEY]["runs"]
    assert sorted(runs) == sorted(CHILD_RUNS)


async def test_saved_from_a_child_run_the_bundle_opens_on_it_with_its_parent(
    bundle_source: FileSource, tmp_path: Path
) -> None:
    app = make_app(bundle_source)
    app.save_dir = tmp_path
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await go_to(pilot, "n:n-loop")
        await pilot.press("o")
        await until(pilot, lambda: len(app.stack) == 2 and app.graph is not None)
        child = app.view.fetch_uuid
        await shown(pilot, child)
        path = await save(pilot, tmp_path)
    data = json.loads(path.read_bytes())
    assert data["run"]["uuid"] == child
    assert "run-failed-0001" in data[BUNDLE_KEY]["runs"]  # the parent, so u works offline
    assert BUNDLE_KEY not in data[BUNDLE_KEY]["runs"]["run-failed-0001"]  # bundles never nest
    reopened = make_app(FileSource.open(str(path)))
    async with reopened.run_test(size=SIZE) as pilot:
        await shown(pilot, child)
        await pilot.press("u")
        await shown(pilot, "run-failed-0001")


async def test_a_save_that_fails_says_so(failed_source: FileSource, tmp_path: Path) -> None:
    app = make_app(failed_source)
    app.save_dir = tmp_path / "missing"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await until(pilot, lambda: any(n.title == "Could not save the bundle" for n in app._notifications))
        assert any("No such file or directory" in n for n in notices(app))
        assert app.is_running


def test_bundle_names_keep_only_safe_characters(tmp_path: Path) -> None:
    assert bundle_name("3f1c-e9_ab") == "run-3f1c-e9_ab.bundle.json"
    assert bundle_name("../../etc/passwd") == "run-______etc_passwd.bundle.json"
    assert bundle_name("a", 3) == "run-a-3.bundle.json"
    assert bundle_name("") == "run-run.bundle.json"
    link = tmp_path / bundle_name("x")
    link.symlink_to(tmp_path / "elsewhere")
    path = write_bundle(tmp_path, "x", b"{}")
    assert path.name == "run-x-2.bundle.json"  # an existing name, even a dangling link, is skipped
    assert not (tmp_path / "elsewhere").exists()
    assert sorted(os.listdir(tmp_path)) == ["run-x-2.bundle.json", "run-x.bundle.json"]


async def test_the_poller_hands_over_the_bytes_it_fetched(failed_body: bytes) -> None:
    snapshots: list[Snapshot] = []
    poller = Poller(FileSource(failed_body, "failed_run.json"), "(file)", on_snapshot=snapshots.append)
    await poller.run()
    assert [s.body for s in snapshots] == [failed_body]


# -- y: copying the node's error or output ----------------------------------------------------


async def test_y_copies_the_error_else_the_output_of_the_selected_node(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("1", "y")  # on any pane but Input/Output: the error first
        assert app.clipboard.startswith('HubSpot 400: Property "lifecyclestage" [/]')
        assert "Copied the error of Sync to HubSpot" in notices(app)[-1]
        await go_to(pilot, "n:n-qualify")  # no error: its output, as JSON
        await pilot.press("y")
        assert json.loads(app.clipboard) == {
            "answer": {"qualified": True, "score": 82, "reason": "B2B SaaS, 200 employees"}
        }
        await pilot.press("5", "y")  # the Input pane: what it shows
        assert json.loads(app.clipboard) == {"prompt": "Is Acme Corp a fit?"}
        await pilot.press("3")
        await go_to(pilot, "n:n-enrich")  # the error of the execution chosen in the Executions pane
        app.view.executions["n-enrich"] = 1
        await pilot.press("y")
        assert app.clipboard.endswith("(attempt 2)")
        await go_to(pilot, "n:n-skip")  # not reached: nothing to copy, and the clipboard is left alone
        before = app.clipboard
        await pilot.press("y")
        assert app.clipboard == before
        assert "Nothing to copy: Mark as skipped has no output" in notices(app)[-1]
        assert app.main.query_one(TabbedContent).active == "error"
