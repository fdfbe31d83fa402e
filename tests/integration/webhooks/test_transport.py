"""The sender's aiohttp transport: the SSRF guard inside its resolver, against real receivers.

Names are resolved by a fake resolver (the guard's seam): refusals happen in the resolver, so no
connection is ever attempted to 10.0.0.1 or the metadata address.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from tests.support.receiver import Receiver
from tilework.errors import ValidationError
from tilework.net.guard import IPAddress
from tilework.webhooks.transport import (
    MAX_RESPONSE_BYTES,
    AiohttpWebhookTransport,
    DeliveryError,
    TransportResult,
)

T = TypeVar("T")


class FakeResolver:
    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        return [ipaddress.ip_address(self.answers[host])]


def with_transport(
    use: Callable[[AiohttpWebhookTransport], Awaitable[T]],
    *,
    allow_private: bool,
    resolver: FakeResolver | None = None,
    timeout: float = 5.0,
) -> T:
    async def main() -> T:
        transport = AiohttpWebhookTransport(
            timeout=timeout, allow_private=allow_private, max_per_host=4, resolver=resolver
        )
        try:
            return await use(transport)
        finally:
            await transport.aclose()

    return asyncio.run(main())


def post(url: str) -> Callable[[AiohttpWebhookTransport], Awaitable[TransportResult]]:
    return lambda transport: transport.post(url, b"{}", {"Content-Type": "application/json"})


def test_a_name_connects_to_the_address_the_guard_checked_and_keeps_its_host() -> None:
    hook = Receiver(default_status=302)
    hook.response_headers = {"Location": "http://10.0.0.1/"}
    try:
        resolver = FakeResolver({"hooks.test": "127.0.0.1"})
        result = with_transport(
            post(f"http://hooks.test:{hook.port}/cb"), allow_private=True, resolver=resolver
        )
        assert result.status_code == 302  # returned, never followed
        (received,) = hook.wait_for(1)
        assert received.headers["host"] == f"hooks.test:{hook.port}"
        assert received.path == "/cb"
        assert resolver.asked == ["hooks.test"]
    finally:
        hook.close()


@pytest.mark.parametrize(
    ("url", "answer", "problem"),
    [
        ("http://internal.test/", "10.0.0.1", "private"),
        ("http://metadata.test/", "169.254.169.254", "cloud metadata"),
        ("http://local.test/", "127.0.0.1", "loopback"),
    ],
)
def test_a_name_resolving_to_a_refused_address_is_refused_in_the_resolver(
    url: str, answer: str, problem: str
) -> None:
    resolver = FakeResolver({url.split("/")[2]: answer})
    with pytest.raises(ValidationError, match=f"resolves to {answer}, which is a {problem}"):
        with_transport(post(url), allow_private=False, resolver=resolver)
    assert resolver.asked == [url.split("/")[2]]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:9/", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::1]:9/", "loopback"),
    ],
)
def test_an_address_is_refused_before_any_connection(url: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=f"is a {problem} address"):
        with_transport(post(url), allow_private=False)


def test_metadata_addresses_stay_refused_when_private_ones_are_allowed() -> None:
    with pytest.raises(ValidationError, match="cloud metadata"):
        with_transport(post("http://169.254.169.254/"), allow_private=True)


def test_only_http_and_https_are_sent() -> None:
    with pytest.raises(ValidationError, match="scheme must be http or https"):
        with_transport(post("ftp://hooks.test/"), allow_private=True)


def test_failures_carry_the_names_the_delivery_log_shows() -> None:
    down = Receiver(listening=False)
    slow = Receiver()
    slow.delay = 2.0
    try:
        with pytest.raises(DeliveryError, match=r"^ConnectError: "):
            with_transport(post(down.url), allow_private=True)
        with pytest.raises(DeliveryError, match=r"^ReadTimeout: no answer within 0\.3 s"):
            with_transport(post(slow.url), allow_private=True, timeout=0.3)
    finally:
        down.close()
        slow.close()


def test_a_huge_answer_is_read_up_to_the_cap_and_the_connection_is_dropped() -> None:
    hook = Receiver()
    hook.response_body = b"x" * (4 * MAX_RESPONSE_BYTES)
    try:

        async def twice(transport: AiohttpWebhookTransport) -> list[TransportResult]:
            return [await post(hook.url)(transport), await post(hook.url)(transport)]

        first, second = with_transport(twice, allow_private=True)
        assert first.excerpt == "x" * 1024
        assert second.status_code == 200  # a fresh connection: nothing left half-read
    finally:
        hook.close()
