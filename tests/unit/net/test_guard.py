"""The SSRF guard with a fake resolver: nothing here opens a connection."""

from __future__ import annotations

import ipaddress
import socket

import httpx
import pytest

from tilework.errors import ValidationError
from tilework.net.guard import (
    IPAddress,
    PinnedTransport,
    ResolvedURL,
    check_url,
    guarded_client,
    pin_request,
)

PUBLIC = "93.184.216.34"


class FakeResolver:
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[tuple[str, int]] = []

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.calls.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in self.table[host]]


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver(
        {
            "hooks.example.com": [PUBLIC],
            "internal.example.com": ["192.168.1.5"],
            "mixed.example.com": [PUBLIC, "10.1.2.3"],
            "v6.example.com": ["2606:4700::1111"],
        }
    )


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://10.0.0.1/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"),
        ("http://internal.example.com/hook", "private"),
        ("http://mixed.example.com/hook", "private"),  # one bad answer is enough
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:169.254.169.254]/", "cloud metadata"),
        ("http://[64:ff9b::a00:1]/", "private"),  # NAT64 form of 10.0.0.1
        ("http://[2002:7f00:1::1]/", "loopback"),  # 6to4 form of 127.0.0.1
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://240.0.0.1/", "reserved"),
        ("http://[fc00::1]/", "private"),
        ("http://192.0.2.1/", "private"),  # documentation range: never a real receiver
    ],
)
def test_non_public_addresses_are_refused_naming_the_class(
    url: str, kind: str, resolver: FakeResolver
) -> None:
    with pytest.raises(ValidationError, match=kind):
        check_url(url, allow_private=False, resolver=resolver)


def test_a_hostname_refusal_names_the_host_and_the_address(resolver: FakeResolver) -> None:
    with pytest.raises(ValidationError) as caught:
        check_url("https://internal.example.com/x", allow_private=False, resolver=resolver)
    assert "internal.example.com resolves to 192.168.1.5" in caught.value.detail
    assert caught.value.status_code == 400


def test_a_public_host_is_resolved_once_and_accepted(resolver: FakeResolver) -> None:
    resolved = check_url("https://hooks.example.com/cb?x=1", allow_private=False, resolver=resolver)
    assert resolved == ResolvedURL(
        url="https://hooks.example.com/cb?x=1",
        scheme="https",
        host="hooks.example.com",
        port=443,
        address=ipaddress.ip_address(PUBLIC),
        addresses=(ipaddress.ip_address(PUBLIC),),
    )
    assert resolver.calls == [("hooks.example.com", 443)]


def test_public_ipv6_is_accepted(resolver: FakeResolver) -> None:
    resolved = check_url("http://v6.example.com:8080/", allow_private=False, resolver=resolver)
    assert (resolved.port, str(resolved.address)) == (8080, "2606:4700::1111")


def test_an_address_literal_is_not_sent_to_the_resolver(resolver: FakeResolver) -> None:
    check_url(f"http://{PUBLIC}/", allow_private=False, resolver=resolver)
    assert resolver.calls == []


def test_allow_private_lets_loopback_and_private_through(resolver: FakeResolver) -> None:
    assert str(check_url("http://127.0.0.1:9/", allow_private=True).address) == "127.0.0.1"
    resolved = check_url("http://internal.example.com/", allow_private=True, resolver=resolver)
    assert str(resolved.address) == "192.168.1.5"


@pytest.mark.parametrize("url", ["http://169.254.169.254/", "http://[::ffff:a9fe:a9fe]/"])
def test_metadata_stays_refused_even_with_allow_private(url: str) -> None:
    with pytest.raises(ValidationError, match="cloud metadata"):
        check_url(url, allow_private=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("hooks.example.com/x", "scheme"),
        ("http:///no-host", "host"),
        ("http://no-such-host.example.com/", "cannot resolve"),
        ("http://[::1/", "invalid URL"),
    ],
)
def test_malformed_or_unresolvable_urls_are_refused(
    url: str, message: str, resolver: FakeResolver
) -> None:
    with pytest.raises(ValidationError, match=message):
        check_url(url, allow_private=False, resolver=resolver)


def test_pinning_rewrites_the_address_but_keeps_host_header_and_sni(
    resolver: FakeResolver,
) -> None:
    request = httpx.Request("POST", "https://hooks.example.com:8443/cb?x=1")
    pin_request(request, check_url(str(request.url), allow_private=False, resolver=resolver))
    assert str(request.url) == f"https://{PUBLIC}:8443/cb?x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


def test_pinning_plain_http_sets_no_sni_and_brackets_ipv6(resolver: FakeResolver) -> None:
    request = httpx.Request("GET", "http://v6.example.com/")
    pin_request(request, check_url(str(request.url), allow_private=False, resolver=resolver))
    assert str(request.url) == "http://[2606:4700::1111]/"
    assert request.headers["host"] == "v6.example.com"
    assert "sni_hostname" not in request.extensions


def test_the_transport_refuses_before_connecting(resolver: FakeResolver) -> None:
    transport = PinnedTransport(allow_private=False, resolver=resolver)
    with transport, pytest.raises(ValidationError, match="private"):
        transport.handle_request(httpx.Request("GET", "http://internal.example.com/"))


def test_the_guarded_client_never_follows_redirects(resolver: FakeResolver) -> None:
    with guarded_client(allow_private=False, timeout=1.0, resolver=resolver) as client:
        assert client.follow_redirects is False
        assert client.trust_env is False
