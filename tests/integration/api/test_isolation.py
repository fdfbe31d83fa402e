"""Tenant isolation, generated from the route table: another organization's id answers exactly
like a missing one, and no list shows another organization's rows.

Two organizations are seeded with one of everything (``seed.py``). For every authenticated route
with an id in its path, organization A asks for B's id and for an id that never existed: both
must be 404 ``not_found`` with the same body once the id itself is blanked. Then every
authenticated ``GET`` is called as A (on A's own ids, and with B's ids in id-like query
parameters) and must not mention any of B's ids. A new route is covered as soon as it exists;
a path parameter this file does not know fails the test until it is added to ``seed.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import Api, start_api
from tests.integration.api.routes import Operation, operations
from tests.integration.api.seed import CHANNEL, VIDEO_INPUT, Seeded, seed

NOT_IDS = {"node_type_id": VIDEO_INPUT, "kind": "video"}  # catalogue names, not tenant data


def bodies(seeded: Seeded) -> dict[str, Any]:
    """A valid body for each route whose body is required, so the id decides the answer."""
    run = {"video_ids": [seeded.video_id]}
    channels = {"youtube_channels": [CHANNEL]}
    return {
        "POST /agent/{agent_id}/update": {"name": "renamed"},
        "PATCH /agent/{agent_id}/update": {"name": "renamed"},
        "POST /agent/{agent_id}/run": run,
        "POST /agent/{agent_id}/estimate": run,
        "POST /agent/{agent_id}/triggers/add_youtube_channels": channels,
        "POST /agent/{agent_id}/triggers/remove_youtube_channels": channels,
        "POST /agent/{agent_id}/triggers/add_schedule": {"cron": "0 * * * *", **run},
        "POST /agent/{agent_id}/share": {},
    }


@pytest.fixture(scope="module")
def two_orgs(
    tmp_path_factory: pytest.TempPathFactory, sample_mp4: Path
) -> Iterator[tuple[Api, Seeded, Seeded]]:
    """One server for the module (seeding takes seconds); rate limits off for the sweep."""
    tmp = tmp_path_factory.mktemp("isolation")
    with start_api(tmp, allow_private_urls=True, rate_limit_per_minute=0) as api:
        hook = "http://127.0.0.1:9/hook"
        mine = seed(api, api.key, sample_mp4, callback_url=hook)
        yield api, mine, seed(api, api.other_key, sample_mp4, callback_url=hook)


def _blank(response: httpx.Response, *ids: str) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    for value in ids:
        body = {k: v.replace(value, "<id>") if isinstance(v, str) else v for k, v in body.items()}
    return body


def _values(op: Operation, ids: dict[str, str]) -> dict[str, str]:
    unknown = [name for name in op.path_params if name not in ids and name not in NOT_IDS]
    assert not unknown, f"{op}: teach seed.py to make a {unknown} (and NOT_IDS if global)"
    return {name: ids.get(name) or NOT_IDS[name] for name in op.path_params}


def test_a_foreign_id_answers_like_a_missing_one(two_orgs: tuple[Api, Seeded, Seeded]) -> None:
    api, mine, theirs = two_orgs
    known = bodies(mine)
    checked = []
    for op in operations(api.app):
        if not op.authenticated or not set(op.path_params) & set(theirs.ids):
            continue
        assert not op.needs_body or str(op) in known, f"{op}: add a valid body to bodies()"
        body = known.get(str(op))
        missing = {name: str(uuid.uuid4()) for name in theirs.ids}
        foreign = api.request(op.method, op.url(_values(op, theirs.ids)), json=body)
        absent = api.request(op.method, op.url(_values(op, missing)), json=body)
        assert foreign.status_code == absent.status_code == 404, (op, foreign.text, absent.text)
        assert foreign.json()["error"] == "not_found"
        blanked = _blank(foreign, *theirs.ids.values()), _blank(absent, *missing.values())
        assert blanked[0] == blanked[1], op
        checked.append(str(op))
    assert len(checked) >= 25, checked  # every id-taking route of the API, not a handful


def test_no_list_shows_another_organizations_rows(two_orgs: tuple[Api, Seeded, Seeded]) -> None:
    api, mine, theirs = two_orgs
    foreign_ids = theirs.everything()
    listed = 0
    for op in operations(api.app):
        if op.method != "GET" or not op.authenticated or op.streams:
            continue
        url = op.url(_values(op, mine.ids))
        queries = [{}] + [
            {name: theirs.ids[name]} for name in op.query_params if name in theirs.ids
        ]
        for params in queries:
            response = api.get(url, params=params)
            assert response.status_code == 200, (op, params, response.text)
            leaked = [value for value in foreign_ids if value in response.text]
            assert not leaked, f"{op} {params} shows organization B's {leaked}"
            listed += 1
    assert listed >= 20


def test_the_seeded_rows_are_visible_to_their_owner(two_orgs: tuple[Api, Seeded, Seeded]) -> None:
    """The leak check above means something only if A does see its own rows there."""
    api, mine, _ = two_orgs
    assert mine.ids["agent_id"] in api.get("/agents").text
    assert mine.ids["run_id"] in api.get("/agent_runs").text
    assert mine.ids["key_id"] in api.get("/api_keys").text
    assert mine.ids["trigger_id"] in api.get(f"/agent/{mine.ids['agent_id']}/triggers").text
