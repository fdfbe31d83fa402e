"""Tilework: a self-hostable, Mosaic-compatible platform for video-editing agents."""

__version__ = "0.1.0"
