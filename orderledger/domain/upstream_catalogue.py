"""Importing an upstream provider's catalogue: its services mapped onto ours by their links,
the rate marked up, planned by the same `plan_import` as a file's import."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_UP, Decimal

from orderledger.domain.catalogue import CatalogueEntry, ImportPlan, plan_import
from orderledger.domain.service import Service

PERCENT = Decimal(100)
RATE_PLACES = 5  # at least: a rate keeps the upstream's own places where it has more


def marked_up(rate: Decimal, percent: Decimal) -> Decimal:
    """The upstream's rate plus `percent`, rounded up (never below the markup) to five places,
    or to the upstream rate's own places where it writes more."""
    exact = rate * (1 + percent / PERCENT)
    exponent = rate.as_tuple().exponent
    places = max(RATE_PLACES, -exponent if isinstance(exponent, int) else 0)
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_UP).normalize()
    exponent = rounded.as_tuple().exponent
    # Written as the catalogue writes rates: "0.8395", "12", never "1.2E+1".
    return rounded.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else rounded


@dataclass(frozen=True)
class Selection:
    """Which of an upstream's services an import takes: all, or those of `services` and (both
    given: and) of `category`. A local service linked to the upstream is in the selection by
    its own record: its upstream id among `services`, its category the one asked for."""

    services: frozenset[int] = frozenset()
    category: str | None = None

    def takes(self, entry: CatalogueEntry) -> bool:
        return (not self.services or entry.number in self.services) and (
            self.category is None or same_category(entry.category, self.category)
        )

    def holds(self, service: Service) -> bool:
        return (not self.services or service.upstream_service in self.services) and (
            self.category is None or same_category(service.category, self.category)
        )


def same_category(written: str, asked: str) -> bool:
    return written.strip().casefold() == asked.strip().casefold()


@dataclass
class UpstreamImport:
    """An import from an upstream: the plan in local numbers, the links its new services get
    (local number -> the upstream's id), and the asked-for ids the upstream does not list."""

    plan: ImportPlan
    links: dict[int, int]
    not_offered: list[int]


def plan_upstream_import(
    upstream: str,
    offered: list[CatalogueEntry],
    catalogue: Mapping[int, Service],
    markup: Decimal,
    selection: Selection = Selection(),
    unreadable: Collection[int] = (),
) -> UpstreamImport:
    """What importing the upstream's `offered` services would record in a `catalogue` of every
    service ever listed. A service already linked to the upstream's id is updated (each one
    linked to it, if several are); a new one takes the next number above every number ever
    listed. The services linked to this upstream that it no longer offers are disabled, those
    of the selection only: a filtered import touches nothing outside what it selects. An
    entry of the upstream's answer that could not be read (`unreadable`, its ids) is still
    offered: left as it is, neither updated nor disabled."""
    by_upstream: dict[int, list[int]] = {}
    for number, service in sorted(catalogue.items()):
        if service.upstream == upstream and service.upstream_service is not None:
            by_upstream.setdefault(service.upstream_service, []).append(number)
    chosen = [entry for entry in offered if selection.takes(entry)]
    next_number = max(catalogue, default=0) + 1
    local: list[CatalogueEntry] = []
    links: dict[int, int] = {}
    for entry in chosen:
        numbers = by_upstream.get(entry.number)
        if not numbers:
            numbers = [next_number]
            links[next_number] = entry.number
            next_number += 1
        rate = marked_up(entry.rate, markup)
        local += [replace(entry, number=number, rate=rate) for number in numbers]
    chosen_ids = {entry.number for entry in chosen}
    offered_ids = {entry.number for entry in offered} | set(unreadable)
    in_scope = {
        number: service
        for number, service in catalogue.items()
        if service.upstream == upstream
        and (
            service.upstream_service in chosen_ids
            or (service.upstream_service not in offered_ids and selection.holds(service))
        )
    }
    not_offered = sorted(selection.services - offered_ids)
    plan = plan_import(local, in_scope)
    # Counted against every service linked to the upstream, not the selection's: a filtered
    # import that disables the one service it names does not disable "most of the catalogue".
    linked = [s for s in catalogue.values() if s.upstream == upstream]
    plan.listed, plan.enabled_now = len(linked), sum(s.enabled for s in linked)
    return UpstreamImport(plan, links, not_offered)
