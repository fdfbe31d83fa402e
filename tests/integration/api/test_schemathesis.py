"""Schemathesis against a live server on loopback: the OpenAPI document tells the truth.

The CLI generates requests from ``/openapi.json`` for every operation (examples, coverage and
fuzzing phases; a few cases each, so it stays near a minute), once with a full-access key and once
with none, and checks every answer: no 5xx, no status the document does not declare, content
types, headers and bodies that match their schemas, 401 without a key, 405s that list the right
methods, deleted resources that stay gone. Seeded ids (an agent, a run, a trigger, ...) are mixed
into the generated path parameters so requests reach past the 404s.

Left out on purpose: ``positive_data_acceptance`` / ``negative_data_rejection`` (the API's rules
are stricter than a schema can say, e.g. "exactly one of these two fields", and pydantic reads a
number as a time) and the stateful phase. Nothing leaves the machine: the SSRF guard is made to
refuse every address, and name lookups never reach a resolver.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.api.conftest import Api, start_api
from tests.integration.api.seed import Seeded, seed
from tilework.net import guard

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
)
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@dataclass(frozen=True)
class Target:
    api: Api
    seeded: Seeded


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, sample_mp4: Path) -> Iterator[Target]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(guard.SystemResolver, "resolve", _no_lookup)
        patch.setattr(guard, "address_problem", _refuse_every_address)
        tmp = tmp_path_factory.mktemp("schemathesis")
        with start_api(tmp, rate_limit_per_minute=100_000) as api:
            yield Target(api, seed(api, api.key, sample_mp4))


def _no_lookup(self: guard.SystemResolver, host: str, port: int) -> list[guard.IPAddress]:
    return [ipaddress.ip_address("192.0.2.1")]  # TEST-NET-1, never reached


def _refuse_every_address(address: guard.IPAddress, *, allow_private: bool) -> str:
    return "test-isolated"


def start_schemathesis(target: Target, tmp: Path, *, with_key: bool) -> Run:
    tmp.mkdir()
    config = tmp / "schemathesis.toml"
    config.write_text(_config(target.seeded), encoding="utf-8")
    report = tmp / "report.json"
    argv = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{target.api.client.base_url}/openapi.json",
        "--phases=examples,coverage,fuzzing",
        "--max-examples=3",
        f"--checks={','.join(CHECKS)}",
        # One worker per run: hypothesis parses lambdas with ast.parse, which is not thread-safe
        # on Python 3.11.7 ("AST constructor recursion depth mismatch"); the two runs go side by
        # side as processes instead.
        "--workers=1",
        "--no-shrink",
        "--seed=13",
        "--request-timeout=20",
        "--report=json",
        f"--report-json-path={report}",
    ]
    if with_key:
        argv.append(f"--header=Authorization: Bearer {target.api.key}")
    with (tmp / "output.txt").open("w") as output:  # the child keeps its own descriptor
        # In the run's own directory: schemathesis keeps a crash cache in its working directory,
        # which must neither land in the repository nor carry state from one run to the next.
        process = subprocess.Popen(
            argv, stdout=output, stderr=subprocess.STDOUT, text=True, cwd=tmp
        )
    return Run(with_key, process, report, tmp / "output.txt")


@dataclass
class Run:
    with_key: bool
    process: subprocess.Popen[str]
    report: Path
    output: Path

    def result(self) -> dict[str, Any]:
        code = self.process.wait(timeout=240)
        shown = self.output.read_text()[-6000:]
        assert self.report.exists(), shown
        result: dict[str, Any] = json.loads(self.report.read_text())
        assert code == 0 and not result["failures"] and not result["errors"], shown
        return result


def _config(seeded: Seeded) -> str:
    lines = []
    for name, value in seeded.ids.items():
        lines += [f"[dictionaries.{name}]", f'values = ["{value}"]']
    lines.append("[parameters]")
    for name in seeded.ids:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}')
    # The seeded run never finishes (no workers), so its event stream would never end.
    lines += [
        "[[operations]]",
        'include-path = "/agent_run/{run_id}/events"',
        'parameters = { "path.run_id" = "00000000-0000-4000-8000-000000000000" }',
    ]
    return "\n".join(lines) + "\n"


def test_every_answer_conforms_to_the_document(target: Target, tmp_path: Path) -> None:
    runs = [
        start_schemathesis(target, tmp_path / name, with_key=with_key)
        for name, with_key in (("with-key", True), ("without-key", False))
    ]
    for run in runs:
        result = run.result()
        assert result["operations"]["tested"] == result["operations"]["selected"] >= 50
        assert result["test_cases"]["generated"] >= 1000
        summary = {"with_key": run.with_key, **result["test_cases"]}
        print(f"schemathesis: {json.dumps(summary)} in {result['running_time']:.0f} s")
