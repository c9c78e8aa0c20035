"""run-inspector: see what a Cargo workflow run really did."""

__version__ = "0.1.0"
