"""Operator commands: accounts, deposits and the service catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from eventsourcing.persistence import IntegrityError

from orderledger.application.ledger_base import LedgerBase
from orderledger.domain.account import Account, Billing
from orderledger.domain.catalogue import CatalogueEntry
from orderledger.domain.errors import AccountExists, CatalogueChanged
from orderledger.domain.ids import account_id, token_holder_id
from orderledger.domain.money import ZERO
from orderledger.domain.service import Service
from orderledger.domain.token_holder import TokenHolder


class Administration(LedgerBase):
    def open_account(
        self, name: str, currency: str, billing: Billing, credit: Decimal = ZERO
    ) -> Account:
        if self.load(Account, account_id(name)) is not None:
            raise AccountExists(f"account {name!r} already exists")
        account = Account.open(name, currency, billing, credit)
        try:
            self.save(account)
        except IntegrityError as error:
            raise AccountExists(f"account {name!r} already exists") from error
        return account

    def deposit(self, name: str, amount: Decimal, note: str = "") -> Account:
        def decide() -> Account:
            account = self.account(name)
            account.deposit(amount, note)
            self.save(account)
            return account

        return self.retrying(decide)

    def adjust(self, name: str, amount: Decimal, note: str) -> Account:
        """Record a signed correction of the account's balance (`Account.adjust`)."""

        def decide() -> Account:
            account = self.account(name)
            account.adjust(amount, note)
            self.save(account)
            return account

        return self.retrying(decide)

    def record_revocation(self, role: str, name: str, tokens: int, by: str) -> TokenHolder:
        """Record that `name`'s `tokens` tokens in `role` were revoked (the credentials are
        gone already: the event is the log's account of it, never the tokens)."""

        def decide() -> TokenHolder:
            holder = self.load(TokenHolder, token_holder_id(role, name))
            if holder is None:
                holder = TokenHolder(role=role, name=name)
            holder.revoke(tokens, by)
            self.save(holder)
            return holder

        return self.retrying(decide)

    def sync_services(
        self,
        entries: Iterable[CatalogueEntry],
        links: Mapping[int, tuple[str, int]] | None = None,
    ) -> int:
        """Record what changed for these entries in one transaction; return events recorded.
        `links`: the upstream (name, its id) each of these services is fulfilled by, linked in
        the same transaction as the service is listed (an import from an upstream)."""
        changed: list[Service] = []
        for entry in entries:
            service = self.service(entry.number)
            link = (links or {}).get(entry.number)
            if service is None:
                service = Service(number=entry.number, **entry.fields())
            elif link is not None and (service.upstream, service.upstream_service) != link:
                # Chosen as a free number for the upstream's service, listed since as another.
                raise CatalogueChanged(
                    f"service {entry.number} was listed meanwhile by another import; "
                    "run this one again (what it recorded is kept, and found by its links)"
                )
            else:
                current = service.entry()
                changes = {k: v for k, v in entry.fields().items() if current.get(k) != v}
                if changes:
                    service.record_changes(changes)
                if not service.enabled:
                    service.record_enabled()
            if link is not None:
                service.link(*link)
            if service.pending_events:
                changed.append(service)
        recorded = sum(len(service.pending_events) for service in changed)
        if changed:
            self.save(*changed)
        return recorded

    def disable_services(self, numbers: Iterable[int]) -> int:
        services = [s for n in numbers if (s := self.service(n)) is not None and s.enabled]
        for service in services:
            service.record_disabled()
        if services:
            self.save(*services)
        return len(services)

    def listed_service_numbers(self) -> Iterator[int]:
        """Every service ever listed, read from the event log itself."""
        topic = f"{Service.Listed.__module__}:{Service.Listed.__qualname__}"
        position: int | None = None
        while True:
            page = self.recorder.select_notifications(
                start=position, limit=1000, topics=[topic], inclusive_of_start=False
            )
            if not page:
                return
            for notification in page:
                event = self.mapper.to_domain_event(notification)
                assert isinstance(event, Service.Listed)
                yield int(event.number)
            position = page[-1].id
