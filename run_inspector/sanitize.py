"""One path for every string that comes from the API before it reaches a terminal.

API text is untrusted: it may carry terminal escape sequences (CSI, OSC window-title or
clipboard writes), bare control characters, bidi overrides that reorder what is shown, or
invisible characters that make one word pass for another. `clean` strips escape sequences
and replaces every other control or invisible character with a visible stand-in, so the text
can be shown literally. It never interprets markup: callers render the result as plain
`rich.text.Text` / `textual.content.Content`, never as markup.

It also makes what is shown measure the same everywhere. A terminal may draw an emoji
sequence (`👨\\u200d👩\\u200d👧`, `👍🏽`, `❤\\ufe0f`) as one 2-cell glyph or as its parts, and Rich
counts it one way: a pane border then moves by the difference. Such sequences are broken
into their emoji, each measured alone the same way by Rich and by any terminal.

The fast path is one regex search that finds nothing in ordinary text.
"""

from __future__ import annotations

import re
import unicodedata

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

_INVISIBLE = (
    # Unicode's Default_Ignorable_Code_Point and general category Cf (format characters),
    # as regex ranges: bidi controls, zero-width spaces, soft hyphen, word joiner, invisible
    # operators, deprecated format characters, interlinear annotations, tag characters,
    # Hangul fillers, musical-symbol formatting, Egyptian hieroglyph format controls,
    # prepended concatenation marks. A test checks this against `unicodedata`. Drawn by no
    # terminal, or drawn as nothing: each is shown as U+FFFD so that no text can pass for
    # another (`e\u00adn\U000e0064d` is not `end`). The joiners and variation selectors are
    # left to `_CONTEXTUAL`.
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e00ff\U000e01f0-\U000e0fff"
)
_JOINERS = "\u200c\u200d"
"""Zero-width non-joiner and joiner: kept between letters of scripts that shape with them
(Devanagari `क्\u200dष`, Persian), dropped inside emoji sequences, shown as U+FFFD elsewhere."""
_SELECTORS = "\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef"
"""Variation selectors: dropped after a character they can modify (the character shows in its
default form), shown as U+FFFD after plain ASCII or nothing."""
_MODIFIERS = "\U0001f3fb-\U0001f3ff"
"""Emoji skin-tone modifiers: dropped after an emoji, U+FFFD alone (Rich counts one as 0 cells,
a terminal draws 2)."""
_PICTOGRAPHIC = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a-\u23ff\u24c2"
    "\u25aa-\u27bf\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001f3fa\U0001f400-\U0001faff\U0001fc00-\U0001fffd"
)
"""Emoji bases (Unicode's Extended_Pictographic, in ranges, without the modifiers)."""
_LINE_SEPARATORS = "\u2028\u2029"
_SURROGATES = "\ud800-\udfff"
"""Lone surrogates (JSON allows `\\ud800`) cannot be encoded for the terminal: shown as U+FFFD."""

_CONTEXTUAL = re.compile(f"[{_JOINERS}]|[{_SELECTORS}]+|[{_MODIFIERS}]+")
_SPECIAL = re.compile(f"[{_JOINERS}{_SELECTORS}{_MODIFIERS}{_INVISIBLE}{_SURROGATES}]")
_EMOJI = re.compile(f"[{_PICTOGRAPHIC}]")


def _is_base(char: str) -> bool:
    """A character a variation selector can modify: anything visible beyond ASCII."""
    return char >= "\xa0" and not _SPECIAL.match(char)


def _is_script_letter(char: str) -> bool:
    """A letter or mark of a script beyond Latin, Greek and Cyrillic (the joiners' users)."""
    return char >= "\u0590" and unicodedata.category(char)[0] in "LM" and not _SPECIAL.match(char)


def _contextual(match: re.Match[str]) -> str:
    """What a joiner, a run of variation selectors or of skin-tone modifiers becomes.

    Decided from its neighbours in the text as given, in one pass: everything but a kept
    joiner is resolved, and a kept joiner's neighbours are letters no step changes, so
    cleaning clean text changes nothing.
    """
    text, start, end = match.string, match.start(), match.end()
    found = match.group()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    first = found[0]
    if first in _JOINERS:
        if _EMOJI.match(before) or _EMOJI.match(after) or before[:1] == "\ufe0f" or _is_modifier(before):
            return ""  # break the emoji sequence: each emoji stands alone
        if before and after and _is_script_letter(before) and _is_script_letter(after):
            return found
        return "\ufffd"
    if _is_modifier(first):
        return "" if _EMOJI.match(before) else "\ufffd"
    if (before and _is_base(before)) or after == "\u20e3":
        return ""
    return "\ufffd"


def _is_modifier(char: str) -> bool:
    return "\U0001f3fb" <= char <= "\U0001f3ff"


def _build_table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # control pictures: ␀ ␁ ... ␛ ...
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"
    for first, last in _ranges(_INVISIBLE):
        for code in range(first, last + 1):
            table[code] = "\ufffd"
    for code in range(0xD800, 0xE000):
        table[code] = "\ufffd"
    table[ord("\t")] = "    "
    table[ord("\r")] = ""
    line_break = "\n" if keep_newlines else " \u23ce "  # ⏎
    for char in "\n" + _LINE_SEPARATORS:
        table[ord(char)] = line_break
    if keep_newlines:
        del table[ord("\n")]
    return table


def _ranges(spec: str) -> list[tuple[int, int]]:
    """`a-bcd-e` (a regex class body without escapes) as [(a, b), (c, c), (d, e)]."""
    out: list[tuple[int, int]] = []
    index = 0
    while index < len(spec):
        if index + 2 < len(spec) and spec[index + 1] == "-":
            out.append((ord(spec[index]), ord(spec[index + 2])))
            index += 3
        else:
            out.append((ord(spec[index]), ord(spec[index])))
            index += 1
    return out


_MULTILINE = _build_table(keep_newlines=True)
_ONE_LINE = _build_table(keep_newlines=False)
def _split(spec: str, astral: bool) -> str:
    """The ranges of `spec` below U+10000 (or from it), as a regex class body."""
    out = []
    for first, last in _ranges(spec):
        if astral:
            first = max(first, 0x10000)
        else:
            last = min(last, 0xFFFF)
        if first <= last:
            out.append(chr(first) if first == last else f"{chr(first)}-{chr(last)}")
    return "".join(out)


_SPECIAL_RANGES = _INVISIBLE + _JOINERS + _SELECTORS + _MODIFIERS
_NEEDS_WORK_BMP = f"\x00-\x1f\x7f-\x9f{_split(_SPECIAL_RANGES, False)}{_LINE_SEPARATORS}{_SURROGATES}"
_NEEDS_WORK = re.compile(f"[{_NEEDS_WORK_BMP}\U00010000-\U0010ffff]")
"""A special character below U+10000, or any character beyond (then `clean` looks
closer, from there). One class with each astral range made the search of every text 5x slower."""
_NEEDS_WORK_AFTER = re.compile(f"[{_NEEDS_WORK_BMP}{_split(_SPECIAL_RANGES, True)}]")


def clean(text: object, *, multiline: bool = True) -> str:
    """Return `text` safe to show: escape sequences removed, control characters made visible."""
    value = text if isinstance(text, str) else str(text)
    found = _NEEDS_WORK.search(value)
    if found is None or (found.group() >= "\U00010000" and not _NEEDS_WORK_AFTER.search(value, found.start())):
        return value
    value = _ESCAPE_SEQUENCE.sub("", value)
    value = _CONTEXTUAL.sub(_contextual, value)
    return value.translate(_MULTILINE if multiline else _ONE_LINE)


def one_line(text: object, limit: int | None = None) -> str:
    """`clean` for single-line places (tree labels, table cells), cut to `limit` characters."""
    value = clean(text, multiline=False)
    if limit is not None and len(value) > limit:
        return value[: max(limit - 1, 0)] + "…"
    return value
