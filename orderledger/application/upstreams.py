"""Operator commands for upstream providers: adding one, and linking services to it."""

from __future__ import annotations

from eventsourcing.persistence import IntegrityError

from orderledger.application.ledger_base import LedgerBase
from orderledger.domain.errors import UnknownService, UnknownUpstream, UpstreamExists
from orderledger.domain.ids import upstream_id
from orderledger.domain.service import Service
from orderledger.domain.upstream import Upstream


class Upstreams(LedgerBase):
    def add_upstream(self, name: str, url: str) -> Upstream:
        """Record a new upstream (its key is kept apart: storage/upstream_keys.py)."""
        if self.upstream(name) is not None:
            raise UpstreamExists(f"upstream {name!r} already exists")
        upstream = Upstream(name=name, url=url)
        try:
            self.save(upstream)
        except IntegrityError as error:
            raise UpstreamExists(f"upstream {name!r} already exists") from error
        return upstream

    def upstream(self, name: str) -> Upstream | None:
        return self.load(Upstream, upstream_id(name))

    def known_upstream(self, name: str) -> Upstream:
        upstream = self.upstream(name)
        if upstream is None:
            raise UnknownUpstream(f"no upstream {name!r}")
        return upstream

    def move_upstream(self, name: str, url: str) -> Upstream:
        def decide() -> Upstream:
            upstream = self.known_upstream(name)
            if upstream.move(url):
                self.save(upstream)
            return upstream

        return self.retrying(decide)

    def link_service(self, number: int, upstream: str, upstream_service: int) -> Service:
        """Forward the service's orders to `upstream`'s `upstream_service` from now on."""
        self.known_upstream(upstream)

        def decide() -> Service:
            service = self.known_service(number)
            if service.link(upstream, upstream_service):
                self.save(service)
            return service

        return self.retrying(decide)

    def unlink_service(self, number: int) -> Service:
        """Give the service's orders back to the bots from now on."""

        def decide() -> Service:
            service = self.known_service(number)
            if service.unlink():
                self.save(service)
            return service

        return self.retrying(decide)

    def known_service(self, number: int) -> Service:
        service = self.service(number)
        if service is None:
            raise UnknownService(str(number))
        return service
