"""Browser-facing headers: nosniff everywhere, a strict policy on HTML pages (the docs page has
its own, naming Swagger UI's CDN and its one inline script), and CORS off unless configured."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from fastapi.responses import HTMLResponse

from tests.integration.api.conftest import Api

PREFLIGHT = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}


def test_json_answers_are_not_sniffed_nor_given_page_headers(api: Api) -> None:
    response = api.get("/agents")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers
    assert api.client.get("/nowhere").headers["X-Content-Type-Options"] == "nosniff"


def test_the_docs_page_allows_exactly_its_cdn_and_inline_script(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "script-src https://cdn.jsdelivr.net 'sha256-" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert api.client.get("/redoc").status_code == 404


def test_other_html_pages_get_the_default_policy(api: Api) -> None:
    api.app.add_api_route("/page", lambda: HTMLResponse("<p>hi</p>"), include_in_schema=False)
    html = api.client.get("/page")
    assert html.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert html.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_cors_is_off_by_default(api: Api) -> None:
    preflight = api.client.options("/agents", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers
    simple = api.get("/agents", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_allows_exactly_the_configured_origins(make_api: Callable[..., Api]) -> None:
    api = make_api(cors_origins="https://app.example, https://other.example")
    preflight = api.client.options(
        "/agents", headers={**PREFLIGHT, "Access-Control-Request-Headers": "authorization"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers
    simple = api.get("/agents", headers={"Origin": "https://app.example"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert "X-RateLimit-Remaining" in simple.headers["access-control-expose-headers"]
    stranger = api.client.options(
        "/agents", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in stranger.headers
