"""Timelines stored in the database name blobs by key, not by one machine's path.

Tiles edit OTIO timelines whose media are local files (``file:///…`` references, and plain paths
in metadata such as a music bed or a logo). A task may run on any worker, each with its own
blob directory or S3 cache, so the executor rewrites the blob store's ``root`` out of a timeline
before storing it (``portable``) and back in, for this machine, before a tile reads it
(``localized``), fetching every blob it names first (from S3, that is the worker's download).

The rewrite works on the JSON text: every occurrence of the root as a ``file://`` URL or as a
path becomes a token, whatever field it sits in, so tiles need not declare where they keep
paths. Keys are made of URL-safe characters (ids and sanitised names), so both spellings of a
key are the same text. A timeline written before this existed (absolute paths) passes through
unchanged and still works on the machine that wrote it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tilework.storage.base import BlobStore

URL_TOKEN = "tilework-blob-url:"
PATH_TOKEN = "tilework-blob-path:"
_KEY = r"[A-Za-z0-9._\-/]+"
_TOKENS = re.compile(f"(?:{re.escape(URL_TOKEN)}|{re.escape(PATH_TOKEN)})({_KEY})")


def portable(document: Any, root: Path) -> Any:
    """``document`` (JSON-able) with the blob root replaced by tokens."""
    text = json.dumps(document, separators=(",", ":"))
    base = root.absolute()
    text = text.replace(base.as_uri() + "/", URL_TOKEN).replace(str(base) + "/", PATH_TOKEN)
    return json.loads(text)


def localized(document: Any, blobs: BlobStore) -> Any:
    """``document`` with every token pointing at this machine's copy of its blob (fetched)."""
    text = json.dumps(document, separators=(",", ":"))
    if URL_TOKEN not in text and PATH_TOKEN not in text:
        return document
    for key in sorted(set(_TOKENS.findall(text))):
        blobs.path(key)  # a remote store downloads it into its cache
    base = blobs.root.absolute()
    text = text.replace(URL_TOKEN, base.as_uri() + "/").replace(PATH_TOKEN, str(base) + "/")
    return json.loads(text)


def keys_in(document: Any) -> set[str]:
    """The blob keys a portable document names."""
    return set(_TOKENS.findall(json.dumps(document, separators=(",", ":"))))
