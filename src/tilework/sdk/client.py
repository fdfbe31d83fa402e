"""``TileworkClient``: a small, typed, synchronous client for the Tilework (and Mosaic) HTTP API."""

from __future__ import annotations

import json
import mimetypes
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tilework.sdk.agent_yaml import agent_to_yaml, build_create_request, parse_agent_yaml
from tilework.sdk.errors import TileworkAPIError, TileworkConnectionError
from tilework.sdk.sse import SSEDecoder

TERMINAL_EVENT = "RUN_FINISHED"
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError, httpx.WriteError)


class TileworkClient:
    """One connection pool to one server, authenticated with one API key.

    Every call returns the decoded JSON answer; any non-2xx answer raises ``TileworkAPIError`` and
    an unreachable server raises ``TileworkConnectionError``.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TileworkClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- plumbing --------------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            response = self._http.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            raise TileworkConnectionError(f"{request.url} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise TileworkConnectionError(f"cannot reach {request.url}: {_reason(exc)}") from exc
        if response.is_success:
            return response
        if stream:
            response.read()
            response.close()
        raise TileworkAPIError.from_response(response)

    def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Call ``method path`` and return the JSON object it answers."""
        request = self._http.build_request(
            method, path, json=json, params=params, headers=self._auth()
        )
        response = self._send(request)
        if not response.content:
            return {}
        body = response.json()
        return body if isinstance(body, dict) else {"items": body}

    # --- organization and catalogue ---------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        return self.request("GET", "/whoami")

    def node_types(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/node_types").get("node_types", []))

    # --- agents ----------------------------------------------------------------------------

    def create_agent(
        self,
        name: str,
        *,
        description: str = "",
        visibility: str | None = None,
        graph: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "description": description}
        if visibility is not None:
            body["visibility"] = visibility
        if graph is not None:
            body["graph"] = graph
        return self.request("POST", "/agent/create", json=body)

    def create_agent_from_yaml(self, text: str) -> dict[str, Any]:
        """Create a whole agent from a YAML file's text (see ``tilework.sdk.agent_yaml``)."""
        spec = parse_agent_yaml(text)
        return self.request(
            "POST", "/agent/create", json=build_create_request(spec, self.node_types())
        )

    def get_agent(self, agent_id: str) -> dict[str, Any]:
        return self.request("GET", f"/agent/{agent_id}")

    def list_agents(self, *, limit: int = 25, cursor: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self.request("GET", "/agents", params=params)

    def export_agent_yaml(self, agent_id: str) -> str:
        return agent_to_yaml(self.get_agent(agent_id), self.node_types())

    # --- uploads ---------------------------------------------------------------------------

    def upload_video(self, path: str | Path) -> str:
        """Upload a local file (reserve, multipart POST, finalize); returns its ``video_id``."""
        path = Path(path)
        size = path.stat().st_size  # FileNotFoundError before anything is reserved
        slot = self.request("POST", "/uploads/video/get_upload_url")
        limit = slot.get("max_file_size_bytes")
        if isinstance(limit, int) and size > limit:
            raise TileworkAPIError(
                413, "payload_too_large", f"{path.name} is {size} bytes; the limit is {limit}"
            )
        self._post_file(str(slot["upload_url"]), dict(slot.get("upload_fields") or {}), path)
        video_id = str(slot["video_id"])
        self.request("POST", "/uploads/video/finalize_upload", json={"video_id": video_id})
        return video_id

    def _post_file(self, upload_url: str, fields: dict[str, Any], path: Path) -> None:
        url = urljoin(self.base_url + "/", upload_url)
        same_origin = urlsplit(url)[:2] == urlsplit(self.base_url)[:2]
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        timeout = httpx.Timeout(self._timeout, read=None, write=None)
        with path.open("rb") as handle:
            request = self._http.build_request(
                "POST",
                url,
                data={key: str(value) for key, value in fields.items()},
                files={"file": (path.name, handle, content_type)},
                headers=self._auth() if same_origin else {},  # never leak the key to S3
                timeout=timeout,
            )
            self._send(request)

    # --- runs ------------------------------------------------------------------------------

    def run_agent(
        self,
        agent_id: str,
        *,
        video_ids: Sequence[str] | None = None,
        video_urls: Sequence[str] | None = None,
        node_render_ids: Sequence[str] | None = None,
        video_inputs: Sequence[dict[str, Any]] | None = None,
        callback_url: str | None = None,
        update_params: dict[str, dict[str, Any]] | None = None,
        ignore_nodes: Sequence[str] | None = None,
    ) -> str:
        """Start a run; returns its ``run_id``. Only the arguments given are sent."""
        fields: dict[str, Any] = {
            "video_ids": video_ids,
            "video_urls": video_urls,
            "node_render_ids": node_render_ids,
            "video_inputs": video_inputs,
            "callback_url": callback_url,
            "update_params": update_params,
            "ignore_nodes": ignore_nodes,
        }
        body = {key: _plain(value) for key, value in fields.items() if value is not None}
        return str(self.request("POST", f"/agent/{agent_id}/run", json=body)["run_id"])

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/agent_run/{run_id}")

    def get_run_nodes(self, run_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/agent_run/{run_id}/nodes").get("nodes", []))

    def get_run_progress(self, run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/agent_run/{run_id}/progress")

    def cancel_run(self, run_id: str) -> dict[str, Any]:
        return self.request("POST", f"/agent_run/{run_id}/cancel")

    def resume_run(self, run_id: str) -> dict[str, Any]:
        return self.request("POST", f"/agent_run/{run_id}/resume")

    # --- live events -----------------------------------------------------------------------

    def stream_events(
        self, run_id: str, *, max_reconnects: int = 5, reconnect_delay: float = 1.0
    ) -> Iterator[dict[str, Any]]:
        """Yield the run's event payloads (as in webhooks.md) until ``RUN_FINISHED``.

        A dropped connection is reopened with ``Last-Event-ID`` so no event is lost or repeated;
        after ``max_reconnects`` attempts in a row without a new event it gives up with
        ``TileworkConnectionError``. A quiet stream (read timeout) reconnects without counting.
        """
        decoder = SSEDecoder()
        failures = 0
        while True:
            try:
                for payload in self._read_events(run_id, decoder):
                    failures = 0
                    yield payload
                    if payload.get("flag") == TERMINAL_EVENT:
                        return
                problem = "the server closed the event stream early"
            except httpx.ReadTimeout:
                continue
            except TileworkConnectionError as exc:
                problem = str(exc)
            except _DROPPED as exc:
                problem = f"event stream dropped: {_reason(exc)}"
            failures += 1
            if failures > max_reconnects:
                raise TileworkConnectionError(f"{problem} (gave up after {max_reconnects} retries)")
            time.sleep(reconnect_delay)

    def _read_events(self, run_id: str, decoder: SSEDecoder) -> Iterator[dict[str, Any]]:
        decoder.discard_partial()
        headers = {"Accept": "text/event-stream", **self._auth()}
        if decoder.last_event_id:
            headers["Last-Event-ID"] = decoder.last_event_id
        request = self._http.build_request("GET", f"/agent_run/{run_id}/events", headers=headers)
        response = self._send(request, stream=True)
        try:
            for line in response.iter_lines():
                event = decoder.feed(line)
                if event is not None:
                    yield _payload(event.event, event.data)
        finally:
            response.close()


def _payload(event_name: str, data: str) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except ValueError:
        payload = {"data": data}
    if not isinstance(payload, dict):
        payload = {"data": payload}
    if event_name != "message":
        payload.setdefault("flag", event_name)
    return payload


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "refused" in text.lower() or "Errno 111" in text:
        return "connection refused"
    return text or type(exc).__name__
