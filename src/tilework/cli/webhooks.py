"""``tilework webhooks``: signing settings, secret rotation, test deliveries, a run's delivery
log and redelivery (through the API), and ``listen``, a local receiver (``listen.py``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from tilework.cli.common import (
    DEFAULT_SERVER,
    ApiKeyOption,
    CLIError,
    JsonOption,
    ServerOption,
    err,
    handle_errors,
    make_client,
)
from tilework.cli.listen import listen
from tilework.cli.output import emit, fields, styled, table, text, when
from tilework.sdk.models import WebhookSettings

webhooks_app = typer.Typer(help="Webhooks: signing secret, test, delivery log, redeliver, listen.")


@webhooks_app.command("settings")
def settings(
    ctx: typer.Context,
    secret: Annotated[str | None, typer.Option(help="Use this signing secret.")] = None,
    generate_secret: Annotated[
        bool, typer.Option("--generate-secret", help="Generate a new whsec_ secret.")
    ] = False,
    remove_secret: Annotated[
        bool, typer.Option("--remove-secret", help="Stop signing (and the previous secret).")
    ] = False,
    plaintext_header: Annotated[
        bool | None,
        typer.Option(
            "--plaintext-header/--no-plaintext-header",
            help="Send Mosaic's X-Mosaic-Signature header (the secret in clear).",
            show_default=False,
        ),
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the webhook signing settings; with options, change them first."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        if sum([secret is not None, generate_secret, remove_secret]) > 1:
            raise CLIError("give one of --secret, --generate-secret, --remove-secret")
        changing = secret is not None or generate_secret or remove_secret
        if changing or plaintext_header is not None:
            current = client.webhooks.update_settings(
                secret=secret,
                generate_secret=generate_secret or None,
                remove_secret=remove_secret or None,
                send_plaintext_header=plaintext_header,
            )
        else:
            current = client.webhooks.settings()
    emit(current, as_json, lambda: _show(current))


def _show(current: WebhookSettings) -> None:
    fields(
        [
            ("secret", text(current.secret)),
            ("X-Mosaic-Signature", "sent" if current.send_plaintext_header else "not sent"),
            ("signing secrets", current.active_secrets),
            ("previous secret until", when(current.previous_secret_expires_at)),
        ]
    )


@webhooks_app.command("rotate")
def rotate(
    ctx: typer.Context,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate a new secret; the old one keeps signing alongside it for 24 hours."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        current = client.webhooks.rotate_secret()
    emit(current, as_json, lambda: _show(current))


@webhooks_app.command("test")
def send_test(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Receiver URL.", show_default=False)],
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send a signed TEST event to URL now; exits non-zero unless it was accepted."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        sent = client.webhooks.test(url)
    outcome = f"answered {sent.status_code}" if sent.status_code else escape(str(sent.error))
    emit(
        sent,
        as_json,
        lambda: err.print(f"TEST to {escape(url)}: {outcome} in {sent.latency_ms} ms"),
    )
    if not sent.success:
        raise typer.Exit(1)


@webhooks_app.command("log")
def delivery_log(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id.", show_default=False)],
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A run's webhook events and every attempt to deliver each one."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        log = client.webhooks.deliveries(run_id)
    rows = (
        (
            e.id,
            e.flag,
            styled(e.delivery_status),
            len(e.attempts),
            text(e.attempts[-1].status_code or e.attempts[-1].error) if e.attempts else "-",
        )
        for e in log.events
    )
    emit(log, as_json, lambda: table("event", "flag", "delivery", "attempts", "last", rows=rows))


@webhooks_app.command("redeliver")
def redeliver(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(help="Event id (see `webhooks log`).")],
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send one event again, with the same webhook-id."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        result = client.webhooks.redeliver(event_id)
    emit(result, as_json, lambda: err.print(f"Queued event {event_id} again"))


webhooks_app.command("listen")(listen)
