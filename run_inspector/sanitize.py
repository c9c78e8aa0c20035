"""One path for every string that comes from the API before it reaches a terminal.

API text is untrusted: it may carry terminal escape sequences (CSI, OSC window-title or
clipboard writes), bare control characters, or bidi overrides that reorder what is shown.
`clean` strips escape sequences and replaces every other control character with a visible
stand-in, so the text can be shown literally. It never interprets markup: callers render
the result as plain `rich.text.Text` / `textual.content.Content`, never as markup.
"""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC
# (ESC P/X/^/_ ... ST), and two-byte escapes. Also the 8-bit C1 forms (0x9b CSI, 0x9d OSC).
# A string sequence is removed only up to its terminator: an unterminated one (often not an
# escape at all: U+009D is in the mojibake of a right double quote) keeps the text after it,
# and the table below makes its introducer visible. Stripping is cosmetic; the table is the
# guarantee that no control character reaches the terminal.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]                  # CSI
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])         # OSC, DCS, SOS, PM, APC ...
      [^\x07\x1b\x90\x98\x9c-\x9f]*(?:\x07|\x1b\\|\x9c)  # ... up to BEL or ST
    | \x1b[ -/]*[0-~]                                 # other two-byte escapes
    """,
    re.VERBOSE,
)

_BIDI_AND_INVISIBLE = (
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi controls
    "\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff"  # zero-width: hide or disguise text
)
"""Shown as U+FFFD. The zero-width joiners (U+200C, U+200D) are kept: emoji and scripts need them."""
_SURROGATES = "\ud800-\udfff"
"""Lone surrogates (JSON allows `\\ud800`) cannot be encoded for the terminal: shown as U+FFFD."""


def _build_table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # control pictures: ␀ ␁ ... ␛ ...
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"
    for char in _BIDI_AND_INVISIBLE:
        table[ord(char)] = "\ufffd"
    for code in range(0xD800, 0xE000):
        table[code] = "\ufffd"
    table[ord("\t")] = "    "
    if keep_newlines:
        del table[ord("\n")]
        table[ord("\r")] = ""
    else:
        table[ord("\n")] = " \u23ce "  # ⏎
        table[ord("\r")] = ""
    return table


_MULTILINE = _build_table(keep_newlines=True)
_ONE_LINE = _build_table(keep_newlines=False)
_NEEDS_WORK = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI_AND_INVISIBLE + _SURROGATES + "]")


def clean(text: object, *, multiline: bool = True) -> str:
    """Return `text` safe to show: escape sequences removed, control characters made visible."""
    value = text if isinstance(text, str) else str(text)
    if not _NEEDS_WORK.search(value):
        return value
    value = _ESCAPE_SEQUENCE.sub("", value)
    return value.translate(_MULTILINE if multiline else _ONE_LINE)


def one_line(text: object, limit: int | None = None) -> str:
    """`clean` for single-line places (tree labels, table cells), cut to `limit` characters."""
    value = clean(text, multiline=False)
    if limit is not None and len(value) > limit:
        return value[: max(limit - 1, 0)] + "…"
    return value
