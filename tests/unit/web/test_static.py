"""The dashboard's static files: the vendored copies are what SHA256SUMS says (scripts/vendor.sh
wrote both from the pinned npm packages), and no page loads anything from another site."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import tilework.web

WEB = Path(tilework.web.__file__).parent
VENDOR = WEB / "static" / "vendor"


def test_vendored_files_match_their_checksums() -> None:
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    names = set()
    for line in lines:
        digest, name = line.split(maxsplit=1)
        names.add(name)
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert {"htmx.min.js", "htmx-ext-sse.min.js", "pico.min.css"} <= names


def test_templates_load_nothing_from_other_sites() -> None:
    for template in (WEB / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r'(src|href)="(https?:)?//', text), template
        for path in re.findall(r"static\('([^']+)'\)", text):
            assert (WEB / "static" / path).is_file(), (template, path)
