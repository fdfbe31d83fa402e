"""``tilework webhooks listen``: a local receiver that verifies and pretty-prints deliveries.

Point a run's ``callback_url`` at it while developing. With ``--secret`` a delivery must carry a
valid Standard Webhooks signature (``webhook-signature``) or, when it has none, a matching
``X-Mosaic-Signature``; a valid one is answered ``200``, any other ``400`` with the reason. Without
``--secret`` every JSON body is accepted and shown as unverified.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any

import typer
from rich.markup import escape

from tilework.cli.common import CLIError, JsonOption, handle_errors, jsonable, out
from tilework.webhooks.verify import Webhook, WebhookVerificationError, verify_plaintext

_STYLES = {"RUN_STARTED": "bold cyan", "RUN_PROGRESS": "bold blue", "RUN_FINISHED": "bold green"}
_VERDICTS = {
    "unverified": "[yellow]unverified[/] (no --secret)",
    "standard-webhooks": "[green]verified[/] (Standard Webhooks)",
    "mosaic-plaintext": "[green]verified[/] (plaintext X-Mosaic-Signature)",
}


def listen(
    port: Annotated[
        int,
        typer.Option(help="TCP port (0 picks a free one).", min=0, max=65535, show_default=False),
    ],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    secret: Annotated[
        str | None,
        typer.Option(help="Webhook secret; deliveries that do not verify get a 400."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Receive webhooks on HOST:PORT, verify them and print each event as it arrives.

    With --json: one JSON object per line, first ``{"listening": URL}``, then one per delivery
    (``accepted``, ``verification``, ``webhook_id``, ``payload`` or ``reason``)."""
    with handle_errors():
        server = _bind(host, port, Listener(secret, as_json=as_json))
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{server.server_address[1]}/"
    mode = "verifying signatures" if secret else "no --secret: deliveries are unverified"
    if as_json:
        typer.echo(json.dumps({"listening": url, "verifying": bool(secret)}), nl=True)
    else:
        out.print(f"Listening on [bold]{url}[/] ({mode})")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        if not as_json:
            out.print("Stopped.")
    finally:
        server.server_close()


class Listener:
    """Judges each delivery and prints it; shared by the server's handler threads."""

    def __init__(self, secret: str | None, *, as_json: bool = False) -> None:
        try:
            self._webhook = Webhook(secret) if secret else None
        except ValueError as exc:  # a malformed whsec_ secret
            raise CLIError(f"invalid --secret: {exc}") from None
        self._secret = secret or ""
        self._as_json = as_json
        self._printing = threading.Lock()

    def receive(self, raw: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        """The status to answer and, for a ``400``, the reason; ``headers`` names are lowercase."""
        webhook_id = headers.get("webhook-id")
        try:
            payload, verification = self._check(raw, headers)
        except WebhookVerificationError as exc:
            reason = str(exc)
            record = {"accepted": False, "reason": reason, "webhook_id": webhook_id}
            self._show(record, lambda: _rejection(reason, headers))
            return 400, reason
        record = {
            "accepted": True,
            "verification": verification,
            "webhook_id": webhook_id,
            "payload": payload,
        }
        self._show(record, lambda: _describe(payload, headers, _VERDICTS[verification]))
        return 200, ""

    def _check(self, raw: bytes, headers: Mapping[str, str]) -> tuple[Any, str]:
        """The payload and how it was verified (a key of ``_VERDICTS``)."""
        if self._webhook is None:
            return _json(raw), "unverified"
        if "webhook-signature" in headers:
            return self._webhook.verify(raw, headers), "standard-webhooks"
        plaintext = headers.get("x-mosaic-signature")
        if plaintext is None:
            raise WebhookVerificationError("no webhook-signature or X-Mosaic-Signature header")
        if not verify_plaintext(self._secret, plaintext):
            raise WebhookVerificationError("X-Mosaic-Signature does not match the secret")
        return _json(raw), "mosaic-plaintext"

    def _show(self, record: dict[str, Any], lines: Callable[[], list[str]]) -> None:
        with self._printing:  # one event's lines stay together
            if self._as_json:
                typer.echo(json.dumps(jsonable(record), default=str))
                return
            for line in lines():
                out.print(line)


def _bind(host: str, port: int, listener: Listener) -> _Server:
    try:
        return _Server((host, port), listener)
    except OSError as exc:
        raise CLIError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise WebhookVerificationError(f"the body is not JSON: {exc}") from None


def _stamp() -> str:
    return datetime.now().strftime("%H:%M:%S")


def _rejection(reason: str, headers: Mapping[str, str]) -> list[str]:
    msg_id = headers.get("webhook-id")
    about = f" webhook-id {escape(msg_id)}" if msg_id else ""
    return [f"{_stamp()} [bold red]REJECTED[/]{about}: {escape(reason)} (answered 400)"]


def _describe(payload: Any, headers: Mapping[str, str], verdict: str) -> list[str]:
    if not isinstance(payload, dict):
        return [f"{_stamp()} [bold]non-object payload[/] {verdict}", escape(repr(payload))]
    flag = str(payload.get("flag", "?"))
    head = f"{_stamp()} [{_STYLES.get(flag, 'bold magenta')}]{escape(flag)}[/]"
    for key in ("run_id", "status"):
        if payload.get(key) is not None:
            head += f" {key.replace('_', ' ')} [bold]{escape(str(payload[key]))}[/]"
    lines = [
        f"{head}  {verdict}",
        f"  webhook-id {escape(headers.get('webhook-id', '-'))}"
        f"  sequence {escape(headers.get('x-tilework-sequence', '-'))}",
    ]
    counts = payload.get("node_status_counts")
    if isinstance(counts, dict):
        shown = (f"{v} {escape(str(k).replace('_', ' '))}" for k, v in counts.items())
        lines.append("  nodes: " + ", ".join(shown))
    for node in _dicts(payload.get("updated_nodes")):
        lines.extend(_node_lines(node))
    lines.extend(_finish_lines(payload))
    lines.extend(_output_lines(_dicts(payload.get("outputs")), indent="  "))
    return lines


def _node_lines(node: dict[str, Any]) -> list[str]:
    message = node.get("status_message")
    detail = f" - {escape(str(message))}" if message else ""
    lines = [
        f"  node {escape(str(node.get('original_node_id')))}: "
        f"[bold]{escape(str(node.get('status')))}[/]{detail}"
    ]
    lines.extend(f"    [red]error[/] {escape(str(e))}" for e in node.get("errors") or [])
    lines.extend(_output_lines(_dicts(node.get("outputs")), indent="    "))
    return lines


def _finish_lines(payload: dict[str, Any]) -> list[str]:
    lines = []
    if payload.get("flag") == "RUN_FINISHED" and payload.get("status_message"):
        lines.append(f"  message: {escape(str(payload['status_message']))}")
    if payload.get("needs_credits"):
        lines.append("  [bold yellow]needs credits[/]: upgrade the plan, then resume the run")
    for group in _dicts(payload.get("errors")):
        for message in group.get("messages") or []:
            node = escape(str(group.get("original_node_id")))
            lines.append(f"  [red]error[/] node {node}: {escape(str(message))}")
    return lines


def _output_lines(outputs: list[dict[str, Any]], *, indent: str) -> list[str]:
    lines = []
    for output in outputs:
        lines.append(f"{indent}output {escape(str(output.get('video_url')))}")
        if output.get("premiere_prproj_url"):
            lines.append(f"{indent}  premiere {escape(str(output['premiere_prproj_url']))}")
    return lines


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], listener: Listener) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.listener = listener
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length") or "0"
        raw = self.rfile.read(int(length) if length.isdigit() else 0)
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, reason = self.server.listener.receive(raw, headers)
        body = json.dumps({"detail": reason}).encode() if reason else b""
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return  # each delivery is printed by the listener instead
