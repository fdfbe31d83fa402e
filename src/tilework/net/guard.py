"""SSRF guard: refuse URLs whose host resolves to a non-public address, and pin connections.

``check_url`` resolves the host once and refuses the URL when *any* address it resolves to is
loopback, private, link-local, multicast, reserved, unspecified, carrier-grade NAT or a cloud
metadata endpoint (IPv4 embedded in IPv6 is unwrapped first). Checking and then letting the HTTP
client resolve again would leave a DNS-rebinding window, so ``PinnedTransport`` checks every
request itself and connects to the very address it checked, keeping the ``Host`` header and the
TLS server name (``sni_hostname`` request extension) of the original host.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import httpx

from tilework.errors import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Never allowed, even with allow_private: no operator means "let users read instance credentials".
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, …
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
        ipaddress.ip_address("168.63.129.16"),  # Azure wire server (a public-looking address)
    }
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Resolver(Protocol):
    def resolve(self, host: str, port: int) -> list[IPAddress]: ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``)."""

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found: list[IPAddress] = []
        for family, _type, _proto, _name, sockaddr in infos:
            if family in (socket.AF_INET, socket.AF_INET6):
                address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
                if address not in found:
                    found.append(address)
        return found


@dataclass(frozen=True)
class ResolvedURL:
    url: str
    scheme: str  # http | https
    host: str  # as in the URL (IDNA-encoded, lower case, no brackets)
    port: int
    address: IPAddress  # where to connect: the first address the host resolved to
    addresses: tuple[IPAddress, ...]  # every address it resolved to (all were checked)

    @property
    def host_is_address(self) -> bool:
        return _literal(self.host) is not None


def check_url(url: str, *, allow_private: bool, resolver: Resolver | None = None) -> ResolvedURL:
    """Parse ``url``, resolve its host once and refuse it unless every address is public."""
    parsed = _parse(url)
    scheme, host = parsed.scheme, parsed.host
    port = parsed.port or _DEFAULT_PORTS[scheme]
    addresses = resolve_checked(host, port, allow_private=allow_private, resolver=resolver)
    return ResolvedURL(str(parsed), scheme, host, port, addresses[0], tuple(addresses))


def resolve_checked(
    host: str, port: int, *, allow_private: bool, resolver: Resolver | None = None
) -> list[IPAddress]:
    """Every address ``host`` resolves to, once; refused unless all of them are public."""
    addresses = _resolve(host, port, resolver or SystemResolver())
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem is not None:
            shown = host if _literal(host) else f"{host} resolves to {address}, which"
            raise ValidationError(
                f"URL not allowed: {shown} is a {problem} address; only public addresses may be "
                "fetched"
            )
    return addresses


def check_url_shape(url: str, *, allow_private: bool) -> None:
    """Refuse ``url`` unless it is http(s) with a host, and a public one when the host is an
    address; host *names* are left to the connection's resolver (``GuardedResolver``), which
    checks every address it resolves them to — so each name is resolved once, not twice."""
    problem = _shape_problem(url, allow_private)
    if problem is not None:
        raise ValidationError(problem)


@functools.lru_cache(maxsize=4096)
def _shape_problem(url: str, allow_private: bool) -> str | None:
    """Cached: the answer depends on the URL's text alone (no lookup), and a sender posts to the
    same few URLs thousands of times a second."""
    try:
        parsed = _parse(url)
        if _literal(parsed.host) is not None:
            resolve_checked(parsed.host, 0, allow_private=allow_private)  # an address: no lookup
    except ValidationError as exc:
        return str(exc)
    return None


def address_problem(address: IPAddress, *, allow_private: bool) -> str | None:
    """The class that makes ``address`` unfit for outbound requests, or ``None`` when it is fine."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return address_problem(embedded, allow_private=allow_private)
    if allow_private:
        return None
    return _special_class(address)


def _special_class(address: IPAddress) -> str | None:
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address.version == 4 and address in _CGNAT, "carrier-grade NAT (100.64.0.0/10)"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "non-public special-purpose"),
    )
    return next((name for hit, name in checks if hit), None)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64 or 6to4), which is where it goes."""
    if address.version != 6:
        return None
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValidationError(f"invalid URL: {exc}") from None
    if parsed.scheme not in _DEFAULT_PORTS:
        raise ValidationError(f"URL scheme must be http or https, not {parsed.scheme or 'none'!r}")
    if not parsed.host:
        raise ValidationError("URL has no host")
    return parsed


def _resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        addresses = resolver.resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(f"cannot resolve host {host}: {exc}") from None
    if not addresses:
        raise ValidationError(f"cannot resolve host {host}: no addresses")
    return addresses


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


# --- the pinned transport ---------------------------------------------------------------------


def pin_request(request: httpx.Request, resolved: ResolvedURL) -> None:
    """Send ``request`` to the checked address; ``Host`` (set from the URL) stays the original."""
    if resolved.host_is_address:
        return
    request.url = request.url.copy_with(host=str(resolved.address))
    if resolved.scheme == "https":  # certificate checked against the name, not the address
        request.extensions = {**request.extensions, "sni_hostname": resolved.host}


_POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=64)


class PinnedTransport(httpx.BaseTransport):
    """Checks each request's URL with ``check_url`` and connects to the address it checked.

    Connections are pooled per (host, address, port) so a TLS connection verified for one host
    name is never reused for another name that happens to share the address.
    """

    def __init__(
        self, *, allow_private: bool, resolver: Resolver | None = None, max_pools: int = 32
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver or SystemResolver()
        self._max_pools = max_pools
        self._pools: OrderedDict[tuple[str, str, int, str], httpx.HTTPTransport] = OrderedDict()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        resolved = check_url(
            str(request.url), allow_private=self._allow_private, resolver=self._resolver
        )
        pin_request(request, resolved)
        return self._pool_for(resolved).handle_request(request)

    def _pool_for(self, resolved: ResolvedURL) -> httpx.HTTPTransport:
        key = (resolved.scheme, resolved.host, resolved.port, str(resolved.address))
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                # Keep-alive for as many connections as the sender runs at once.
                pool = self._pools[key] = httpx.HTTPTransport(limits=_POOL_LIMITS)
                if len(self._pools) > self._max_pools:
                    _, evicted = self._pools.popitem(last=False)
                    evicted.close()
            self._pools.move_to_end(key)
            return pool

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()


def guarded_client(
    *, allow_private: bool, timeout: float, resolver: Resolver | None = None
) -> httpx.Client:
    """An ``httpx.Client`` that never follows redirects, ignores proxy variables and is pinned."""
    return httpx.Client(
        transport=PinnedTransport(allow_private=allow_private, resolver=resolver),
        follow_redirects=False,
        trust_env=False,
        timeout=timeout,
    )
