"""The right-hand side: the panes of the registry as tabs, each made when first shown.

`PaneDeck` hands each pane the context to draw (`set_context`); only the pane on screen
draws at once, the others when they are shown. Switching tabs makes and fills the new pane
first, then shows it, and keeps the focus on the side the user was on.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from . import PANE_IDS, PANES
from .base import Copy, Pane, RunContext

NARROW_WIDTH = 110
"""Below this many columns the tab labels are shortened (the app's `-narrow` breakpoint)."""


class PaneDeck(Widget):
    DEFAULT_CSS = """
    PaneDeck { width: 1fr; height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.context: RunContext | None = None
        self._labels: dict[str, Text] = {}

    def compose(self) -> ComposeResult:
        narrow = self.app.size.width < NARROW_WIDTH
        with TabbedContent(id="panes"):
            for spec in PANES:
                label = spec.short if narrow and spec.short else spec.title
                self._labels[spec.id] = Text(label)
                with TabPane(label, id=spec.id):
                    yield spec.cls(id=spec.pane_id)

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    @property
    def active(self) -> str:
        return self.tabs.active

    def pane(self, tab: str) -> Pane:
        return self.query_one(f"#{tab}-pane", Pane)

    @property
    def active_pane(self) -> Pane | None:
        return self.pane(self.active) if self.active in PANE_IDS else None

    def set_context(self, context: RunContext, *, narrow: bool, moved: bool = False) -> None:
        """The run changed, or only the selection (`moved`): the pane on screen draws it, the
        others when they are shown. A pane of the whole run has nothing new when only the
        cursor moved."""
        self.context = context
        active = self.active
        for spec in PANES:
            if moved and not spec.follows_selection:
                continue
            self.pane(spec.id).set_context(context, shown=spec.id == active)
        if not moved:
            self.relabel(narrow=narrow)

    def relabel(self, *, narrow: bool) -> None:
        """Tabs whose label depends on the run (a count) say it; relabelling only what changed
        (a new label lays the tab bar out again)."""
        context = self.context
        if context is None:
            return
        for spec in PANES:
            label = self.pane(spec.id).tab_label(context, narrow=narrow)
            if label is None:
                label = Text(spec.short if narrow and spec.short else spec.title)
            if label != self._labels.get(spec.id):
                self._labels[spec.id] = label
                self.tabs.get_tab(spec.id).label = label

    async def open(self, tab: str) -> None:
        """Make the pane of `tab` (the first time) and bring it up to date."""
        pane = self.pane(tab)
        await pane.open()
        if self.is_attached:
            pane.catch_up()

    async def show(self, tab: str) -> None:
        """Show `tab`, filled in before it shows. Focus inside the pane left behind moves with it:
        left there, it would go to a sibling, and Textual shows the pane that holds the focus."""
        if tab not in PANE_IDS:
            return
        await self.open(tab)
        focused = self.app.focused
        self.tabs.active = tab
        if focused is not None and any(isinstance(node, TabPane) for node in focused.ancestors):
            pane = self.pane(tab)
            target = pane if pane.focusable else next((w for w in pane.query("*") if w.focusable), None)
            if target is not None:
                target.focus()
            else:
                self.screen.focus_next()

    def show_soon(self, tab: str) -> None:
        """Show `tab`: at once if its pane is made, else as soon as it is."""
        self.tabs.active = tab
        pane = self.pane(tab)
        if pane.opened:
            pane.catch_up()
        else:
            self.call_later(self.open, tab)

    def copy(self) -> Copy | None:
        pane = self.active_pane
        return pane.copy() if pane is not None else None

    @on(TabbedContent.TabActivated, "#panes")
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        """A tab was clicked, or shown by the app or by a focus change."""
        tab = event.pane.id
        if tab in PANE_IDS and self.is_attached and self.context is not None:  # else nothing to show yet
            await self.open(tab)
