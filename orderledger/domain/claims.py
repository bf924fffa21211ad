"""Claims: each order or refill is worked on by one bot at a time, for a limited lease.

A claim is a lease with an expiry. The aggregate decides: a claim on an order whose claim has
not expired is refused, so two bots racing for the same order cannot both win (the loser's
save conflicts, it reloads, sees the claim and is refused). A bot that goes silent lets its
lease run out and the work returns to the queue; a bot that needs longer renews it.

A report on an order or a refill counts only from the bot that holds its claim, or on work
nobody holds (no claim, or one that ran out); staff (the command line) may act on any.

A drip-feed order is handed out one run at a time: a claim of a drip-feed order whose current
run is fully delivered hands out the next run, and only once it is due (`interval` minutes
after the previous run was handed out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from orderledger.domain.errors import (
    ClaimTaken,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Reporter:
    """Who sends a report: a bot by its operator name, bound to its claims, or staff."""

    name: str
    staff: bool = False


# Staff is a flag, not a name: an operator token called "staff" is still only a bot.
STAFF = Reporter("staff", staff=True)
# The server's sweep ends expired work whoever held it; the events it records name it.
SWEEP = Reporter("sweep", staff=True)


class Claimable(Protocol):
    number: int
    claimed_by: str | None

    def claim_held(self, now: datetime) -> bool: ...


def ensure_holder(work: Claimable, kind: str, by: Reporter, now: datetime) -> None:
    """Refuse a bot's report on work another bot holds an unexpired claim on."""
    if by.staff or not work.claim_held(now) or work.claimed_by == by.name:
        return
    raise ClaimTaken(f"{kind} {work.number} is claimed by {work.claimed_by}")
