"""The search bar under the tree: its input is made at the first `/`."""

from __future__ import annotations

from rich.text import Text
from textual import on
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

    async def open(self, query: str) -> None:
        """Show the bar with `query` in it, and put the focus there."""
        if not self.children:
            await self.mount_all(
                [
                    Input(placeholder="search slug, name, error", id="search", compact=True),
                    Static(Text(""), markup=False, id="search-count"),
                ]
            )
        self.display = True
        field = self.query_one("#search", Input)
        field.value = query
        field.focus()

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
