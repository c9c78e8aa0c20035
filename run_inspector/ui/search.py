"""The search bar under the tree (hidden until `/`).

Its input is made with the screen, not at the first `/`: made then, the keys typed right
after `/` reached the tree until it was mounted, and a `q` among them quit the app."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static


class SearchBar(Horizontal):
    class Changed(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class Submitted(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search slug, name, error", id="search", compact=True)
        yield Static(Text(""), markup=False, id="search-count")

    def open(self, query: str) -> None:
        """Show the bar with `query` in it, and put the focus there."""
        self.display = True
        field = self.query_one("#search", Input)
        field.value = query
        # At once, not after the keys already queued (`focus()` waits a turn): the letters typed
        # right after `/` are the search, even a `q`.
        self.screen.set_focus(field)

    def close(self) -> None:
        self.display = False

    def show_count(self, query: str, count: int) -> None:
        for label in self.query("#search-count").results(Static):
            label.update(Text(f" {count} match{'es' if count != 1 else ''}" if query else ""))

    @on(Input.Changed, "#search")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))
