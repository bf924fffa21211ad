"""A client for each upstream, as its aggregate (the URL) and the keys' table say now."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from orderledger.application.ledger import Ledger
from orderledger.storage.upstream_keys import UpstreamKeys
from orderledger.upstream.client import UpstreamClient
from orderledger.upstream.errors import BackOff

DEFAULT_TIMEOUT = 30.0


@dataclass
class UpstreamClients:
    ledger: Ledger
    keys: UpstreamKeys
    timeout: float = DEFAULT_TIMEOUT
    transport: httpx.BaseTransport | None = None  # None: the network; a test gives one in memory
    made: dict[str, tuple[str, str, UpstreamClient]] = field(default_factory=dict)

    def __call__(self, name: str) -> UpstreamClient:
        """The upstream's client (kept while its URL and key stay the same); BackOff when
        it has no URL or key to use: nothing can be sent until an operator gives them."""
        upstream = self.ledger.upstream(name)
        key = self.keys.get(name)
        if upstream is None or not key:
            raise BackOff(f"upstream {name!r} has no URL or key here")
        kept = self.made.get(name)
        if kept is not None and kept[:2] == (upstream.url, key):
            return kept[2]
        if kept is not None:
            kept[2].close()
        client = UpstreamClient(upstream.url, key, self.timeout, self.transport)
        self.made[name] = (upstream.url, key, client)
        return client

    def close(self) -> None:
        for _, _, client in self.made.values():
            client.close()
        self.made.clear()
