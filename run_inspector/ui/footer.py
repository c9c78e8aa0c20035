"""The footer: the keys, drawn as Textual's compact `Footer` draws them, by one widget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget


@dataclass(frozen=True)
class FooterItem:
    """One key in the footer: what `Footer` would make a `FooterKey` of."""

    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str


class KeysFooter(Widget):
    """The keys of the screen's bindings, looking as `Footer(compact=True)` does.

    Textual's `Footer` is a container of one widget per key (15 here), each mounted, styled,
    laid out and drawn on its own, and all remade each time the focus moves: that was a good
    part of the time to the first screen. This draws the same line (the same cells, colours
    from the same theme variables) as one widget, redrawn only when the keys change. Like
    `Footer`: a click on a key presses it, the key under the mouse is highlighted and shows
    its tooltip, and the command palette's key sits at the right. Binding groups are shown
    key by key (this app has none).
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keys-footer--item",
        "keys-footer--hover",
        "keys-footer--disabled",
        "keys-footer--key",
        "keys-footer--description",
        "keys-footer--separator",
    }
    # The values of Textual's Footer and FooterKey CSS, compact.
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        width: 1fr;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .keys-footer--item { background: $footer-item-background; }
        .keys-footer--hover { color: $footer-key-foreground; background: $block-hover-background; }
        .keys-footer--disabled { text-style: dim; }
        .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .keys-footer--separator { color: $foreground 20%; }
        &.-over-key { pointer: pointer; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.items: list[FooterItem] = []
        self.palette: FooterItem | None = None
        self._hover: int | None = None
        """Index of the key under the mouse (`len(items)`: the palette's)."""
        self._spans: list[tuple[int, int]] = []
        """The columns each key takes, as last drawn (the palette's last)."""
        self._drawn: tuple[Any, ...] | None = None
        self._strip: Strip | None = None

    def on_mount(self) -> None:
        self._read_bindings(self.screen)
        self.screen.bindings_updated_signal.subscribe(self, self._read_bindings)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _read_bindings(self, screen: Screen[Any]) -> None:
        """What `Footer.compose` shows: one key per action among the bindings marked `show`
        (the first binding of each), and the command palette's key."""
        if screen is not self.screen:
            return
        bindings = screen.active_bindings
        items: list[FooterItem] = []
        actions: set[str] = set()
        for _, binding, enabled, tooltip in bindings.values():
            if binding.show and binding.action not in actions:
                actions.add(binding.action)
                display = self.app.get_key_display(binding)
                items.append(FooterItem(binding.key, display, binding.description, enabled, tooltip))
        palette = None
        if self.app.ENABLE_COMMAND_PALETTE and self.app.COMMAND_PALETTE_BINDING in bindings:
            _, binding, enabled, _ = bindings[self.app.COMMAND_PALETTE_BINDING]
            display = self.app.get_key_display(binding)
            tooltip = binding.tooltip or binding.description
            palette = FooterItem(binding.key, display, binding.description, enabled, tooltip)
        if items != self.items or palette != self.palette:
            self.items, self.palette = items, palette
            self._hover = None
            self.refresh()

    # -- drawing ------------------------------------------------------------------------

    def _layered(self, *components: str) -> Style:
        """The style of a part of a key: each component drawn over the last, as Textual
        composes a `FooterKey`'s styles over the footer's (`DOMNode.rich_style`)."""
        base = self.rich_style
        background = Color.from_rich_color(base.bgcolor) if base.bgcolor else Color(0, 0, 0, 0)
        color = Color.from_rich_color(base.color) if base.color else Color(255, 255, 255, 0)
        style = Style()
        for name in components:
            styles = self.get_component_styles(name)
            if styles.has_rule("background"):
                background += styles.background
            if styles.has_rule("color"):
                color = styles.color
            style += styles.text_style
        return style + Style.from_color(
            (background + color).rich_color if (background.a or color.a) else None,
            background.rich_color if background.a else None,
        )

    def _item_segments(self, item: FooterItem, hover: bool) -> list[Segment]:
        layers = ["keys-footer--item"]
        if hover:
            layers.append("keys-footer--hover")
        if not item.enabled:
            layers.append("keys-footer--disabled")
        segments = [Segment(item.display, self._layered(*layers, "keys-footer--key"))]
        if item.description:
            description = self._layered(*layers, "keys-footer--description")
            segments.append(Segment(f" {item.description}", description))
        return segments

    def notify_style_update(self) -> None:
        self._strip = None  # the theme or the CSS changed: colours are worked out again
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        key = (width, self._hover, self.items, self.palette, self.rich_style)
        if self._strip is not None and key == self._drawn:
            return self._strip
        blank = Style(bgcolor=self.rich_style.bgcolor)
        # The keys from the left, each followed by one blank column (the key's right margin).
        segments: list[Segment] = []
        spans: list[tuple[int, int]] = []
        x = 0
        for index, item in enumerate(self.items):
            drawn = self._item_segments(item, index == self._hover)
            length = sum(segment.cell_length for segment in drawn)
            spans.append((x, x + length))
            segments.extend(drawn)
            segments.append(Segment(" ", blank))
            x += length + 1
        line = Strip(segments).crop_extend(0, width, blank)
        # The palette's key, docked right over the keys: a separator, the key, its one blank
        # column at the far right (where the keys show through, as they do in `Footer`).
        if self.palette is not None:
            hover = self._hover == len(self.items)
            drawn = self._item_segments(self.palette, hover)
            layers = ["keys-footer--item", "keys-footer--hover"] if hover else ["keys-footer--item"]
            drawn.insert(0, Segment("▏", self._layered(*layers, "keys-footer--separator")))
            length = sum(segment.cell_length for segment in drawn)
            start = max(width - 1 - length, 0)
            palette = Strip(drawn).crop(0, width - start)
            line = Strip.join([line.crop(0, start), palette, line.crop(start + palette.cell_length, width)])
            spans.append((start, start + palette.cell_length))
        self._spans = spans
        self._drawn, self._strip = key, line
        return line

    # -- the mouse ----------------------------------------------------------------------

    def _item_at(self, x: int) -> int | None:
        """The key at column `x`: the palette's (drawn over the others) first."""
        for index in reversed(range(len(self._spans))):
            start, end = self._spans[index]
            if start <= x < end:
                return index
        return None

    def _item(self, index: int) -> FooterItem:
        return self.items[index] if index < len(self.items) else self.palette  # type: ignore[return-value]

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._item_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        if index == self._hover:
            return
        self._hover = index
        self.set_class(index is not None, "-over-key")
        self.tooltip = (self._item(index).tooltip or None) if index is not None else None
        self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = self._item_at(event.x)
        if index is None:
            return
        item = self._item(index)
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()
