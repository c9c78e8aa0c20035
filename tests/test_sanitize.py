"""The one path for API text: escape sequences go, control characters become visible."""

from __future__ import annotations

import pytest

from run_inspector.sanitize import clean, one_line


@pytest.mark.parametrize(
    "hostile",
    [
        "\x1b]0;pwned title\x07",  # OSC 0: window title
        "\x1b]52;c;aGVsbG8=\x07",  # OSC 52: clipboard write
        "\x1b[2J\x1b[H",  # clear screen, cursor home
        "\x9b2J",  # 8-bit CSI
        "\x1bP1$qm\x1b\\",  # DCS
        "bell\x07nul\x00del\x7f",
        "\u202eevil\u202c",  # bidi override
    ],
)
def test_no_control_characters_survive(hostile: str) -> None:
    for text in (clean(hostile), one_line(hostile)):
        assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0 for c in text)
        assert "\u202e" not in text


def test_plain_text_and_markup_pass_through_literally() -> None:
    text = "HubSpot [/] [bold]x[/bold] [@click=app.quit]q[/] 🙂 宽"
    assert clean(text) is text
    assert one_line(text) == text


def test_control_characters_are_made_visible_not_silently_dropped() -> None:
    assert clean("a\x00b\x07c") == "a␀b␇c"
    assert one_line("line1\nline2") == "line1 ⏎ line2"
    assert clean("line1\r\nline2") == "line1\nline2"


def test_one_line_cuts_long_text() -> None:
    assert one_line("x" * 100, 10) == "x" * 9 + "…"
