"""Planning an import from an upstream: its services mapped onto ours by their links, the rate
marked up, and what "dropped" means for a filtered import."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderledger.domain.service import Service
from orderledger.domain.upstream_catalogue import Selection, marked_up, plan_upstream_import
from tests.conftest import entry


def listed(
    number: int, upstream: str | None = None, there: int = 0, enabled: bool = True, **fields: object
) -> Service:
    """Our service `number`; linked to `upstream`'s `there`, as imported from it."""
    service = Service(number=number, **entry(there or number, **fields).fields())
    if upstream is not None:
        service.link(upstream, there)
    if not enabled:
        service.record_disabled()
    return service


@pytest.mark.parametrize(
    ("rate", "percent", "expected"),
    [
        ("0.73", "15", "0.8395"),  # exact: kept as it is
        ("100", "0", "100"),
        ("1.5", "33.333", "2"),  # 1.999995 rounded up at the fifth place
        ("0.00001", "50", "0.00002"),  # never below the markup
        ("0.000123", "10", "0.000136"),  # the upstream's six places kept
        ("0", "20", "0"),
    ],
)
def test_a_marked_up_rate_is_rounded_up_to_five_places_or_the_upstreams_own(
    rate: str, percent: str, expected: str
) -> None:
    assert str(marked_up(Decimal(rate), Decimal(percent))) == expected


def test_new_services_take_the_numbers_above_every_one_ever_listed() -> None:
    catalogue = {1: listed(1), 7: listed(7, enabled=False)}
    planned = plan_upstream_import("bulk", [entry(500), entry(501)], catalogue, Decimal("10"))
    assert planned.links == {8: 500, 9: 501}
    assert [(e.number, e.rate) for e in planned.plan.added] == [
        (8, Decimal("2.75")),
        (9, Decimal("2.75")),
    ]
    assert planned.plan.disabled == []


def test_a_service_linked_before_is_updated_and_every_local_one_linked_to_it() -> None:
    catalogue = {
        3: listed(3, "bulk", 500, rate=Decimal("2.75")),
        4: listed(4, "bulk", 500, rate=Decimal("9")),
        5: listed(5, "other", 500),
    }
    planned = plan_upstream_import("bulk", [entry(500)], catalogue, Decimal("10"))
    assert planned.links == {}
    assert [(e.number, names) for e, names in planned.plan.changed] == [(4, ["rate"])]


def test_dropped_means_linked_here_and_no_longer_offered_there() -> None:
    catalogue = {
        1: listed(1),  # ours: never touched
        2: listed(2, "bulk", 500),
        3: listed(3, "bulk", 501),
        4: listed(4, "other", 502),
    }
    planned = plan_upstream_import("bulk", [entry(500)], catalogue, Decimal("0"))
    assert [s.number for s in planned.plan.disabled] == [3]


def test_a_filtered_import_disables_only_what_it_selects() -> None:
    catalogue = {
        2: listed(2, "bulk", 500, category="Likes"),
        3: listed(3, "bulk", 501, category="Views"),
        4: listed(4, "bulk", 502, category="Likes"),
    }
    offered = [entry(502, category="Views")]  # 500 and 501 dropped, 502 moved to Views
    by_category = plan_upstream_import(
        "bulk", offered, catalogue, Decimal("0"), Selection(category="likes")
    )
    assert [s.number for s in by_category.plan.disabled] == [2]  # not 4: it moved, not dropped
    assert by_category.plan.to_sync == []
    by_id = plan_upstream_import(
        "bulk", offered, catalogue, Decimal("0"), Selection(frozenset({501, 999}))
    )
    assert [s.number for s in by_id.plan.disabled] == [3]
    assert by_id.not_offered == [501, 999]
    assert not by_id.plan.disables_most()  # one of the three linked to it


def test_an_entry_the_upstream_answered_unreadably_is_left_alone() -> None:
    catalogue = {2: listed(2, "bulk", 500), 3: listed(3, "bulk", 501)}
    planned = plan_upstream_import("bulk", [], catalogue, Decimal("0"), unreadable=[501])
    assert [s.number for s in planned.plan.disabled] == [2]
