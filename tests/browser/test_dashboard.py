"""A person's afternoon with the dashboard, in a real browser.

Sign in by keyboard, import an agent from a YAML file, set a parameter, upload a clip and run
it, watch the run reach ``completed`` without a reload, play the output (its duration is the
trim's), redeliver a webhook, share the run, look at credits, add a schedule and fire it, look
at the run with a read-only key (no action offered, a forged one refused), sign out. Every page
is screenshotted at desktop width and at 390 px (where it must not scroll sideways), and
axe-core finds no serious or critical accessibility violation on any of them.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import ARTIFACTS, AXE, DESKTOP, PHONE, Dashboard
from tests.support.receiver import Receiver

AGENT_YAML = """\
name: Trim and render
description: Keeps two seconds of the clip and renders them.
nodes:
  - {id: input, type: video-input}
  - {id: trim, type: trim, params: {start_seconds: 0.5}}
  - {id: render, type: render}
edges:
  - [input, trim]
  - [trim, render]
"""
KEPT_SECONDS = 2.0  # start 0.5 (from the file), end 2.5 (set in the form)


def test_a_person_runs_an_agent_from_the_dashboard(
    dashboard: Dashboard, browser: Any, clip: Path, receiver: Receiver, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    pages: dict[str, str] = {}  # screenshot name -> URL, for the phone-width pass

    # --- sign in, by keyboard -------------------------------------------------------------
    page.goto(dashboard.url + "/")
    assert page.url.endswith("/app/sign-in")
    look(page, "sign-in")
    signed_out_phone = browser.new_context(viewport=PHONE)
    signed_out_phone.new_page().goto(dashboard.url + "/app/sign-in")
    look(signed_out_phone.pages[0], "sign-in", width="390", axe=False)
    signed_out_phone.close()
    page.get_by_label("API key").fill("mk_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    assert "not valid" in page.get_by_role("alert").inner_text()
    focus_by_tab(page, "api_key")
    page.keyboard.type(dashboard.api_key)
    page.keyboard.press("Enter")
    page.wait_for_url("**/app/runs")
    assert dashboard.api_key not in json.dumps(context.cookies())
    look(page, "runs-empty")

    # --- import an agent, set a parameter -------------------------------------------------
    menu(page, "Agents")
    look(page, "agents-empty")
    agent_file = tmp_path / "trim-and-render.yaml"
    agent_file.write_text(AGENT_YAML)
    page.get_by_label("Agent YAML file").set_input_files(agent_file)
    page.get_by_role("button", name="Import agent").click()
    page.get_by_role("heading", name="Trim and render", level=1).wait_for()
    agent_url = page.url
    trim = page.locator("article.node-card", has_text="Trim")
    trim.get_by_label("End seconds").fill("2.5")
    trim.get_by_role("button", name="Save Trim").click()
    page.get_by_text("Saved.").wait_for()
    look(page, "agent")
    pages["agent"] = agent_url

    # --- upload a clip and run ------------------------------------------------------------
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/events" in r.url else None)
    page.get_by_label("Video file").set_input_files(clip)
    page.get_by_label("Webhook URL (optional)").fill(receiver.url)
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r".*/app/runs/[0-9a-f-]{36}$"))
    run_url = page.url
    page.evaluate("window.__notReloaded = true")
    status = page.locator("#run-status")
    wait_until_finished(page)
    assert status.inner_text() == "completed", page.locator("main").inner_text()
    assert page.evaluate("window.__notReloaded === true"), "the page reloaded"
    assert any("/events?after=" in url for url in streams), "no event stream was opened"

    # --- play the output ------------------------------------------------------------------
    video = page.locator("video").first
    src = video.get_attribute("src") or ""
    assert src.startswith(dashboard.url + "/files/"), src
    duration = page.evaluate(PLAY_SCRIPT)
    assert abs(duration - KEPT_SECONDS) < 0.15, duration
    assert abs(duration - probe_duration(src)) < 0.1
    look(page, "run")
    pages["run"] = run_url

    # --- redeliver a webhook --------------------------------------------------------------
    finished = receiver.wait_for(3, timeout=30)
    first = next(r for r in finished if r.body and r.body["flag"] == "RUN_STARTED")
    page.locator("#webhook-log .status-delivered").first.wait_for()
    before = len(receiver.requests)
    page.get_by_role("button", name=re.compile(r"^Redeliver RUN_STARTED")).click()
    again = receiver.wait_for(before + 1, timeout=30)[-1]
    assert again.headers["webhook-id"] == first.headers["webhook-id"]
    assert again.body == first.body
    page.locator("#webhook-log tbody tr").first.locator("ol li").nth(1).wait_for()

    # --- runs list, share the run, the public page ----------------------------------------
    menu(page, "Runs")
    assert page.locator("table .status").first.inner_text() == "completed"
    look(page, "runs")
    pages["runs"] = page.url
    page.goto(agent_url)
    page.get_by_label("Show the outputs of").select_option(index=1)
    page.get_by_role("button", name="Share").click()
    link = page.locator("#share-link").inner_text()
    look(page, "agent-shared")
    stranger = browser.new_context(viewport=DESKTOP)  # no session
    public = stranger.new_page()
    public.goto(link)
    assert public.locator("video").count() == 1
    assert "Browser Test Org" not in public.content()
    assert public.get_by_role("link", name="Runs").count() == 0
    look(public, "shared")
    pages["shared"] = link

    # --- credits; a schedule trigger, fired now ------------------------------------------
    menu(page, "Credits")
    look(page, "credits")
    pages["credits"] = page.url
    menu(page, "Triggers")
    schedule = page.get_by_role("region", name="Add a schedule")
    schedule.get_by_label("Cron expression").fill("0 9 * * 1-5")
    schedule.get_by_label("Video URL to run on").fill(src)  # the output above, as a new input
    schedule.get_by_role("button", name="Add schedule").click()
    page.get_by_text("Schedule added.").wait_for()
    look(page, "triggers")
    pages["triggers"] = page.url
    page.get_by_role("button", name="Fire now").click()
    page.wait_for_url(re.compile(r".*/app/runs/[0-9a-f-]{36}$"))
    wait_until_finished(page)
    assert page.locator("#run-status").inner_text() == "completed"
    page.goto(dashboard.url + "/app/agents")
    look(page, "agents")
    pages["agents"] = page.url

    # --- every page at 390 px -------------------------------------------------------------
    phone = browser.new_context(viewport=PHONE, storage_state=context.storage_state())
    for name, url in pages.items():
        small = phone.new_page()
        small.goto(url)
        small.wait_for_load_state("load")
        look(small, name, width="390", axe=False)  # axe ran on each page at desktop width
        small.close()

    # --- a read-only key sees the run and is offered nothing to do to it -----------------
    read_only_visit(browser, dashboard, run_url)

    # --- sign out -------------------------------------------------------------------------
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    page.goto(run_url)
    assert "/app/sign-in" in page.url
    for ctx in (context, stranger, phone):
        ctx.close()


def wait_until_finished(page: Any) -> None:
    """Until the run page's status is no longer ``running`` (polled from Playwright's own world:
    the page's CSP forbids the eval that ``wait_for_function`` needs)."""
    from playwright.sync_api import expect

    expect(page.locator("#run-status")).not_to_have_text("running", timeout=120_000)


def read_only_visit(browser: Any, dashboard: Dashboard, run_url: str) -> None:
    """Sign in with a key that may read runs and their webhooks, and nothing else."""
    created = httpx.post(
        dashboard.url + "/api_keys",
        headers={"Authorization": f"Bearer {dashboard.api_key}"},
        json={"name": "viewer", "scopes": ["agent_runs:read", "webhooks:read"]},
        timeout=30,
    )
    assert created.status_code == 200, created.text
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(run_url)  # signed out: the sign-in form, then back here
    page.get_by_label("API key").fill(created.json()["api_key"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(run_url)
    main = page.locator("main")
    assert page.locator("#run-status").inner_text() == "completed"
    assert page.locator("#webhook-log .status-delivered").count() >= 3
    assert (
        page.get_by_role("button").filter(has_text=re.compile("Cancel|Resume|Redeliver")).count()
        == 0
    )
    assert "lacks webhooks:write, so it cannot redeliver webhooks" in main.inner_text()
    nav = page.get_by_role("navigation", name="Main")
    assert [link.inner_text() for link in nav.get_by_role("link").all()] == ["Tilework", "Runs"]
    look(page, "run-read-only")

    # A forged action, with this session's own CSRF token, is refused with the scope named.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    event_id = (
        page.locator("#webhook-log tbody tr").first.get_attribute("id").removeprefix("event-")
    )
    forged = page.request.post(
        f"{dashboard.url}/app/webhook-events/{event_id}/redeliver", form={"csrf_token": token}
    )
    assert forged.status == 403 and "webhooks:write" in forged.text()
    context.close()


PLAY_SCRIPT = """async () => {
  const video = document.querySelector('video');
  if (video.readyState < 1) {
    await new Promise((ok, fail) => {
      video.addEventListener('loadedmetadata', ok, {once: true});
      video.addEventListener('error', () => fail(new Error('video error')), {once: true});
    });
  }
  video.muted = true;
  await video.play();
  const started = performance.now();
  while (video.currentTime < 0.3) {
    if (performance.now() - started > 10000) throw new Error('the video does not play');
    await new Promise((ok) => setTimeout(ok, 50));
  }
  video.pause();
  return video.duration;
}"""


WIDER_THAN_SCREEN = """() => Array.from(document.querySelectorAll('body *'))
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map((e) => e.tagName + '.' + e.className)"""


def menu(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def focus_by_tab(page: Any, element_id: str, presses: int = 15) -> None:
    """Press Tab until ``element_id`` has the focus: it is reachable by keyboard."""
    page.locator("body").focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with the Tab key")


def look(page: Any, name: str, width: str = "desktop", axe: bool = True) -> None:
    """Screenshot the page for a person, and check it with axe-core."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    sideways = page.evaluate("document.documentElement.scrollWidth")
    assert sideways <= page.viewport_size["width"], (
        f"{name} scrolls sideways at {width}: {page.evaluate(WIDER_THAN_SCREEN)}"
    )
    if not axe:
        return
    page.evaluate(AXE.read_text())  # by the DevTools protocol: the CSP forbids inline scripts
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"axe on {name} ({width}):\n" + "\n".join(bad)


def probe_duration(url: str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(out.stdout.strip())
