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


# -- invisible characters and emoji sequences (issue 14) -------------------------------------------


def _is_default_ignorable_or_format(code: int) -> bool:
    """Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt) and category Cf."""
    import unicodedata

    char = chr(code)
    ignorable = (
        code in (0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFEFF, 0xFFA0)
        or 0x180B <= code <= 0x180F
        or 0x200B <= code <= 0x200F
        or 0x202A <= code <= 0x202E
        or 0x2060 <= code <= 0x206F
        or 0xFE00 <= code <= 0xFE0F
        or 0xFFF0 <= code <= 0xFFF8
        or 0x1BCA0 <= code <= 0x1BCA3
        or 0x1D173 <= code <= 0x1D17A
        or 0xE0000 <= code <= 0xE0FFF
    )
    return ignorable or unicodedata.category(char) == "Cf"


def test_no_default_ignorable_or_format_character_passes_between_ascii_letters() -> None:
    """Every such character is made visible (or dropped where it joins emoji): 'e?nd' never
    reads 'end'. The list is checked against `unicodedata`, not copied from the code."""
    missed = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF or not _is_default_ignorable_or_format(code):
            continue
        text = f"e{chr(code)}nd"
        for shown in (clean(text), one_line(text)):
            if shown == "end" or chr(code) in shown:
                missed.append(f"U+{code:04X}")
    assert missed == []


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("e\u00adn\U000e0064d", "e\ufffdn\ufffdd"),  # soft hyphen, tag character
        ("e\u2061n\u206ad\u206f", "e\ufffdn\ufffdd\ufffd"),  # invisible operator, deprecated formats
        ("a\ufff9b\ufffbc", "a\ufffdb\ufffdc"),  # interlinear annotation
        ("x\U0001d173y\u034fz", "x\ufffdy\ufffdz"),  # musical formatting, grapheme joiner
        ("e\u200dnd", "e\ufffdnd"),  # a joiner between Latin letters
        ("e\u200cnd", "e\ufffdnd"),
        ("e\ufe0fnd", "e\ufffdnd"),  # a variation selector after ASCII
        ("\u3164\u115f", "\ufffd\ufffd"),  # Hangul fillers
    ],
)
def test_invisible_characters_are_made_visible(sent: str, shown: str) -> None:
    assert clean(sent) == shown and one_line(sent) == shown


def test_line_and_paragraph_separators_are_line_breaks() -> None:
    assert clean("one\u2028two\u2029three") == "one\ntwo\nthree"
    assert one_line("one\u2028two\u2029three") == "one ⏎ two ⏎ three"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("👨\u200d👩\u200d👧", "👨👩👧"),  # a ZWJ sequence: each emoji stands alone
        ("👩🏽\u200d💻", "👩💻"),  # with a skin tone
        ("🏳\ufe0f\u200d🌈", "🏳🌈"),
        ("👍🏽", "👍"),  # a skin-tone modifier
        ("❤\ufe0f", "❤"),  # emoji presentation: the heart in its default form
        ("1\ufe0f\u20e3", "1\u20e3"),  # a keycap
        ("🏽", "\ufffd"),  # a lone modifier (Rich: 0 cells, a terminal: 2)
        ("葛\U000e0100", "葛"),  # an ideographic variation selector
    ],
)
def test_emoji_sequences_are_shown_as_parts_that_measure_alike(sent: str, shown: str) -> None:
    """Rich counts a sequence as one glyph; a terminal may draw its parts. What is shown
    measures the same whole and part by part, so no terminal can move a pane border."""
    from rich.cells import cell_len

    assert one_line(f"[{sent}]") == f"[{shown}]"
    assert cell_len(shown) == sum(cell_len(char) for char in shown)


def test_joiners_stay_where_a_script_needs_them() -> None:
    for text in ("क्\u200dष", "می\u200cخواهم"):  # a Devanagari half form, Persian
        assert clean(text) == text


def test_emoji_without_sequences_and_flags_are_untouched() -> None:
    text = "✅ 🚀 🇫🇷 全角"
    assert clean(text) is text


def test_cleaning_twice_changes_nothing() -> None:
    for text in ("👨\u200d\u200d👩", "a\u200d\u200d👩", "👍\u200d🏽", "e\ufe0f\ufe0fnd", "क\ufe0f\u200dष"):
        assert clean(clean(text)) == clean(text)
