"""The `?` help and `w` why screens, and the table of keys shared by the footer, help and palette."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from .panes import PANES, pane_key


@dataclass(frozen=True)
class Command:
    """One app action: its keys, its footer word and what it does."""

    keys: str
    action: str
    short: str
    help: str
    show: bool = True
    key_display: str | None = None
    group: str = "inspect"
    """The README's table it is listed in: navigate, inspect, live, share."""
    more: str = ""
    """What the README adds to `help`."""


COMMANDS: tuple[Command, ...] = (
    Command("question_mark", "show_help", "help", "Show every key", key_display="?"),
    Command(
        "slash",
        "screen.search",
        "search",
        "Search slug, name and error text; enter jumps",
        key_display="/",
        group="navigate",
    ),
    Command(
        "f", "screen.toggle_failed", "failed", "Show only failed nodes and their ancestors", group="navigate"
    ),
    Command("n", "screen.next_failed", "next fail", "Go to the next failed node", group="navigate"),
    Command(
        "N",
        "screen.previous_failed",
        "prev fail",
        "Go to the previous failed node",
        show=False,
        group="navigate",
    ),
    Command(
        "o",
        "open_child",
        "open run",
        "Open the run the node leads to: the execution's child run, a group's failed item, "
        "the item run or tool-call run under the cursor",
        group="navigate",
    ),
    Command(
        "u,backspace",
        "go_back",
        "back",
        "Back to the previous run, the list of runs it was opened from, or up to the parent run",
        key_display="u",
        group="navigate",
    ),
    Command(
        "w",
        "show_why",
        "why",
        "Why it ended so: path, error, input and upstream reads",
        more="the path from the start with the branch each routing node took and the computed input "
        "that decided it, the error, the resolved input, the upstream values its expressions read (or "
        "`MISSING`, with the fix and what an agent really answered), what the run did next and the "
        "node's findings; on a line with no node, the node that explains the run. In it: `j` `k` `g` "
        "`G` scroll, `y` copies the report, `w` `q` `esc` close",
    ),
    Command("z", "screen.toggle_zoom", "zoom", "Toggle a full-width detail pane"),
    Command(
        "t",
        "screen.toggle_nested",
        "nested",
        "Switch between the flat and the fully nested tree",
        group="navigate",
    ),
    Command(
        "c", "screen.copy_node", "copy id", "Copy the node uuid to the clipboard", show=False, group="share"
    ),
    Command(
        "C",
        "screen.copy_run",
        "copy run",
        "Copy the run uuid to the clipboard",
        show=False,
        group="share",
        more="as one line: an id with line breaks or control characters is cleaned, and the app says so",
    ),
    Command(
        "y",
        "screen.copy_pane",
        "copy text",
        "Copy the node's error; without one, what the pane shows (else its output)",
        show=False,
        group="share",
    ),
    Command(
        "s",
        "save_bundle",
        "save",
        "Save a bundle: the run and the child runs opened (--file)",
        group="share",
        more="to `run-<uuid>.bundle.json` in the current directory (never overwritten: `-2`, `-3`… are "
        "added). `run-inspector --file run-<uuid>.bundle.json` reopens it offline, child runs included. "
        "The bundle holds the API responses only, never the token",
    ),
    Command("r", "refresh", "refresh", "Fetch the run again now", group="live"),
    Command(
        "R",
        "show_runs",
        "runs",
        "The runs of this run's workflow (enter opens one, u comes back)",
        group="live",
    ),
    Command(
        "X",
        "cancel_run",
        "cancel",
        "Cancel this run, if it is running (asks first)",
        show=False,
        group="live",
    ),
    Command("p", "toggle_pause", "pause", "Pause or resume polling", group="live"),
    *(
        Command(pane_key(spec), f"screen.show_tab('{spec.id}')", spec.id, spec.help, show=False)
        for spec in PANES
    ),
    Command(
        "escape",
        "screen.clear",
        "clear",
        "Clear the search, leave the full-width pane",
        show=False,
        group="navigate",
    ),
    Command("q", "quit", "quit", "Quit", group="navigate"),
)

MOVES: tuple[tuple[str, str], ...] = (
    ("↑ ↓  j k", "Move in the tree, a table or a JSON tree"),
    ("enter space", "Expand or collapse; on a ↪ reference, jump to the full entry"),
    ("enter", "Execution row: open its run; event or finding: go to its node"),
    ("← → h l", "Collapse / go to parent, expand"),
    ("g G", "First, last line"),
    ("tab", "Move between the tree, the pane tabs and the pane"),
    ("ctrl+p", "Command palette: every action by name"),
)


def command_bindings() -> list[BindingType]:
    return [
        Binding(c.keys, c.action, c.short, show=c.show, key_display=c.key_display, tooltip=c.help)
        for c in COMMANDS
    ]


def display_keys(command: Command) -> str:
    names = {"question_mark": "?", "slash": "/", "backspace": "⌫"}
    return " ".join(names.get(k, k) for k in command.keys.split(","))


README_GROUPS = ("navigate", "inspect", "live", "share")


def readme_keys(runs_keys: list[tuple[str, str]]) -> str:
    """The README's key tables, made from the one key table (`scripts/readme_keys.py` writes
    them; a test checks the README holds them as made)."""

    def cell(keys: str) -> str:
        names = {"⌫": "backspace", "escape": "esc"}
        return " ".join(f"`{names.get(key, key)}`" for key in keys.split())

    out: list[str] = []
    for group in README_GROUPS:
        out += [f"| {group} | |", "|---|---|"]
        if group == "navigate":
            out += [f"| {cell(keys.replace('  ', ' '))} | {what} |" for keys, what in MOVES]
        out += [
            f"| {cell(display_keys(c))} | {c.help}{': ' + c.more if c.more else ''} |"
            for c in COMMANDS
            if c.group == group
        ]
        out.append("")
    out += ["| the Runs screen (`--workflow`, `R`) | |", "|---|---|"]
    out += [f"| {cell(keys)} | {what} |" for keys, what in runs_keys]
    return "\n".join(out) + "\n"


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question before a write (cancelling a run): y or enter says yes, n or esc no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "yes", show=True),
        Binding("n,escape", "answer(False)", "no", show=True),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Static {
        width: 80; max-width: 100%; height: auto;
        border: round $warning; background: $surface; padding: 1 2;
    }
    """

    def __init__(self, question: Text) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        yield Static(self.question, markup=False, id="confirm-text")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=True),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("run-inspector keys\n\n", style="bold")
        for keys, what in MOVES:
            text.append(f"{keys:<14}", style="bold cyan")
            text.append(f"{what}\n")
        text.append("\n")
        for command in COMMANDS:
            text.append(f"{display_keys(command):<14}", style="bold cyan")
            text.append(f"{command.help}\n")
        text.append("\nescape, q or ? closes this screen", style="dim")
        with VerticalScroll():
            yield Static(text, markup=False, id="help-text")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


class WhyScreen(ModalScreen[None]):
    """The why report of one node over the whole screen (as `z` widens a pane); w, q or escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,w", "dismiss", "Close", show=True),
        Binding("y", "copy_report", "Copy", show=True),
        Binding("j,down", "scroll('down')", "Down", show=False),
        Binding("k,up", "scroll('up')", "Up", show=False),
        Binding("g,home", "scroll('home')", "Top", show=False),
        Binding("G,end", "scroll('end')", "Bottom", show=False),
    ]
    DEFAULT_CSS = """
    WhyScreen { align: center middle; }
    WhyScreen > VerticalScroll {
        width: 100%; height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
        border-subtitle-color: $text-muted;
    }
    """

    def __init__(self, report: Text) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="why-scroll") as scroll:
            scroll.border_title = Content("why")
            scroll.border_subtitle = Content("j k scroll · y copies · w, q or escape closes")
            yield Static(self.report, markup=False, id="why-text")

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one("#why-scroll", VerticalScroll)
        {
            "down": scroll.scroll_down,
            "up": scroll.scroll_up,
            "home": scroll.scroll_home,
            "end": scroll.scroll_end,
        }[where](animate=False)

    def action_copy_report(self) -> None:
        self.app.copy_to_clipboard(self.report.plain)
        self.notify(f"Copied the report ({len(self.report.plain)} characters)", timeout=2, markup=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
