"""A service's `rate` reaches the network as a plain decimal string, never with an exponent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderledger.http.presenters import service
from orderledger.projections.catalogue import ServiceRow


def row(rate: Decimal) -> ServiceRow:
    return ServiceRow(
        id="s",
        number=1,
        name="Likes",
        type="Default",
        category="C",
        rate=rate,
        min=10,
        max=100,
        dripfeed=False,
        refill=False,
        cancel=False,
        description="-",
        refill_days=0,
        enabled=True,
    )


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        (Decimal("1e3"), "1000"),
        (Decimal("1E+3"), "1000"),
        (Decimal("2.5e1"), "25"),
        (Decimal("0.0000001"), "0.0000001"),
        (Decimal("1e-7"), "0.0000001"),
        (Decimal("0.730"), "0.730"),
        (Decimal("0.73"), "0.73"),
        (Decimal("0"), "0"),
    ],
)
def test_the_rate_is_a_plain_decimal_string(rate: Decimal, shown: str) -> None:
    assert service(row(rate))["rate"] == shown
