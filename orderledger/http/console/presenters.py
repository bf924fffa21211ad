"""How the console writes what it shows: every time in UTC with the zone named, every amount
from its Decimal with its currency. The templates use these as Jinja filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from orderledger.domain.money import plain

TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def utc(moment: datetime | str | None) -> str:
    """`2026-12-01 18:40:05 UTC`, from a datetime or the ISO text the read models keep."""
    if moment is None or moment == "":
        return ""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:  # the read models keep UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime(TIME_FORMAT)


def amount(value: Decimal | str, currency: str = "") -> str:
    """An amount exactly as the ledger holds it (every place it has), and its currency."""
    shown = plain(Decimal(value))
    return f"{shown} {currency}".strip()


FILTERS: dict[str, Callable[..., Any]] = {"utc": utc, "amount": amount}
