"""Render passes: each turns one kind of timeline effect into filters (see ``media/graph.py``).

The order of the lists in ``media/compile.py`` is the order effects are applied in.
"""
