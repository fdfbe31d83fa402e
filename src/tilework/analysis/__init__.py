"""Analysis of source media (speech, faces, silences, scene cuts), cached by content hash.

Tiles ask these questions of the *source* files their timelines reference, never of renders, so a
re-run of an agent with a different caption colour reuses every answer (see ``cache.py``).
"""
