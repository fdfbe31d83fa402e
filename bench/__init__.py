"""Benchmarks: off by default, run with ``make bench``."""
