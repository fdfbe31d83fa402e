"""Write the served OpenAPI document to docs/openapi.json (``make openapi``).

``--check`` only compares, exiting 1 with the first differences when the file is stale (the
test suite does the same through ``tests/integration/api/test_openapi.py``).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def served_document() -> dict[str, Any]:
    from tilework.api.app import create_app
    from tilework.config import Settings

    with tempfile.TemporaryDirectory() as data_dir:  # the document needs no data, only the app
        document: dict[str, Any] = create_app(Settings(data_dir=Path(data_dir))).openapi()
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    args = parser.parse_args()
    fresh = render(served_document())
    current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    if not args.check:
        DOCUMENT.write_text(fresh, encoding="utf-8")
        print(f"wrote {DOCUMENT}")
        return 0
    if fresh == current:
        return 0
    diff = difflib.unified_diff(current.splitlines(), fresh.splitlines(), "docs", "served", n=1)
    sys.stderr.write("\n".join(list(diff)[:60]) + "\nrun `make openapi` to update it\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
