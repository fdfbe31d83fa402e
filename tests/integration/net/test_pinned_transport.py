"""The pinned transport against a real receiver: connects to the checked address, keeps Host."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from tests.support.receiver import Receiver
from tilework.net.guard import IPAddress, guarded_client


class OneAnswerResolver:
    def __init__(self) -> None:
        self.calls = 0

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.calls += 1
        return [ipaddress.ip_address("127.0.0.1")]


def test_a_name_is_resolved_by_the_guard_and_sent_as_host() -> None:
    hook = Receiver(default_status=302)
    try:
        resolver = OneAnswerResolver()
        with guarded_client(allow_private=True, timeout=5, resolver=resolver) as client:
            response = client.post(f"http://hooks.test:{hook.port}/cb", json={"a": 1})
        assert response.status_code == 302  # a redirect is returned, never followed
        (received,) = hook.wait_for(1)
        assert received.headers["host"] == f"hooks.test:{hook.port}"
        assert (received.path, received.body) == ("/cb", {"a": 1})
        assert resolver.calls == 1
    finally:
        hook.close()


def test_connection_errors_surface_as_httpx_errors() -> None:
    hook = Receiver(listening=False)
    try:
        client = guarded_client(allow_private=True, timeout=5)
        with client, pytest.raises(httpx.ConnectError):
            client.post(hook.url, content=b"{}")
    finally:
        hook.close()
