"""The SSRF guard inside aiohttp: a resolver that hands out only addresses the guard accepts.

aiohttp connects to exactly the addresses its resolver returns, so checking them *there* pins
every connection to a checked address with no second lookup (no DNS-rebinding window), keeps the
original host for ``Host`` and TLS, and lets keep-alive connections be reused freely: a pooled
connection was checked when it was opened. aiohttp never asks the resolver about a URL whose host
is an address, so callers check those first with ``guard.check_url_shape``.
"""

from __future__ import annotations

import asyncio
import socket

from aiohttp.abc import AbstractResolver, ResolveResult

from tilework.net.guard import Resolver, resolve_checked


class GuardedResolver(AbstractResolver):
    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None) -> None:
        self._allow_private = allow_private
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        # getaddrinfo blocks: off the event loop. A refusal raises ValidationError, which aiohttp
        # lets through (it wraps only OSError), so the caller sees the guard's own message.
        addresses = await asyncio.get_running_loop().run_in_executor(
            None,
            lambda: resolve_checked(
                host, port, allow_private=self._allow_private, resolver=self._resolver
            ),
        )
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET if address.version == 4 else socket.AF_INET6,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None
