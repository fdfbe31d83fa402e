"""Tiles: one module per node type, each a typed edit of a timeline (only render tiles encode)."""
