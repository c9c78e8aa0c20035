"""Benchmarks for run-inspector: a synthetic run generator and a runner (see README.md)."""
