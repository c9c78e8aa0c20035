"""The footer: Textual's, with less work at start (see benchmarks/README.md, TUI first paint)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    """Textual's compact `Footer`, showing the same, for less work.

    * Its keys are composed at once, rather than after the first focus change, and again only
      when what they show changes: `Footer` rebuilds all of them each time the screen's
      bindings might have changed (each focus change), which mostly leaves them as they were.
    * Each key is made with the `-compact` class that `compact` gives it: given once mounted,
      it restyled each key on its own (~1.5 ms a key, at start).
    """

    def __init__(self) -> None:
        super().__init__(compact=True)
        self.set_reactive(Footer._bindings_ready, True)
        self._composed: list[tuple[Any, ...]] | None = None

    @staticmethod
    def _shown(screen: Screen[Any]) -> list[tuple[Any, ...]]:
        """What `Footer.compose` reads: the bindings it shows (those marked `show`, and the
        command palette's), whether each is enabled, and their tooltips."""
        palette = screen.app.COMMAND_PALETTE_BINDING
        return [
            (key, binding, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == palette
        ]

    def compose(self) -> ComposeResult:
        self._composed = self._shown(self.screen)
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen and self._shown(screen) == self._composed:
            return
        super().bindings_changed(screen)
