"""``/docs``: Swagger UI over ``/openapi.json``, with a Content-Security-Policy made for it.

Swagger UI's script and stylesheet come from a CDN and one inline script starts it, so the
default page policy (``api.headers``) would blank the page. This one allows that CDN and exactly
that inline script (by its SHA-256), nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def install_docs_page(app: FastAPI, path: str = "/docs") -> None:
    page = get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=app.title)
    policy = page_policy(bytes(page.body).decode())

    @app.get(path, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page.body, headers={"Content-Security-Policy": policy})


def page_policy(html: str) -> str:
    hashes = " ".join(f"'sha256-{_digest(script)}'" for script in _INLINE_SCRIPT.findall(html))
    return (
        f"default-src 'none'; script-src {_CDN} {hashes}; style-src {_CDN} 'unsafe-inline'; "
        "img-src 'self' data: https:; connect-src 'self'; font-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _digest(script: str) -> str:
    return base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
