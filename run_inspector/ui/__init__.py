"""The Textual user interface. The data core (models, graph, sources) never imports this."""

from .app import InspectorApp, make_app

__all__ = ["InspectorApp", "make_app"]
