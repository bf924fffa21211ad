"""Another provider whose API v2 fulfils some of our services: orders of a service linked to it
are forwarded there (application/forwarding). Its API key is a credential, never an event
(storage/upstream_keys.py); what the log keeps is its name, its address, and when it had no
funds for our orders."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.errors import InvalidUpstream
from orderledger.domain.ids import upstream_id

UPSTREAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_upstream_name(name: str) -> str:
    if not UPSTREAM_NAME.fullmatch(name):
        raise InvalidUpstream(
            f"upstream name {name!r}: 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_upstream_url(url: str) -> str:
    """An http(s) address with a host: the upstream's API v2 endpoint as its docs give it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUpstream(f"upstream URL {url!r}: expected http(s)://host[:port]/path")
    if parts.username or parts.password:
        raise InvalidUpstream("an upstream URL must not carry credentials: give a --key-file")
    return url


class Upstream(Aggregate):
    @staticmethod
    def create_id(name: str) -> UUID:
        return upstream_id(name)

    class Added(Aggregate.Created):
        name: str
        url: str

    @event(Added)
    def __init__(self, name: str, url: str) -> None:
        self.name = check_upstream_name(name)
        self.url = check_upstream_url(url)
        self.funds_short = False
        self.retry_at: datetime | None = None
        self.short_reason = ""

    def move(self, url: str) -> bool:
        """The upstream's API moved to `url`; False (nothing recorded) if it is there already."""
        if url == self.url:
            return False
        self.record_moved(url=check_upstream_url(url))
        return True

    def ran_short(self, reason: str, retry_at: datetime) -> None:
        """The upstream refused an order for want of funds: its orders wait until `retry_at`."""
        self.record_funds_short(reason=reason, retry_at=retry_at)

    def funds_restored(self) -> bool:
        """The upstream took an order again; False (nothing recorded) if it was not short."""
        if not self.funds_short:
            return False
        self.record_funds_restored()
        return True

    class Moved(Aggregate.Event):
        url: str

    @event(Moved)
    def record_moved(self, url: str) -> None:
        self.url = url

    class FundsRanShort(Aggregate.Event):
        reason: str
        retry_at: datetime

    @event(FundsRanShort)
    def record_funds_short(self, reason: str, retry_at: datetime) -> None:
        self.funds_short = True
        self.short_reason = reason
        self.retry_at = retry_at

    class FundsRestored(Aggregate.Event):
        pass

    @event(FundsRestored)
    def record_funds_restored(self) -> None:
        self.funds_short = False
        self.short_reason = ""
        self.retry_at = None
