"""What became of one `add` sent to an upstream, read from the client's answer or error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orderledger.upstream.errors import BackOff, FundsShort, OutcomeUnknown, Refused, UpstreamError

# The upstream takes one active order per link from us, whichever of our accounts placed it:
# the order is not refused, it waits for the earlier one to end.
ACTIVE_LINK = "active order with this link"


@dataclass(frozen=True)
class Outcome:
    # placed (value: the upstream's order id), funds, refused, link busy, back off (value:
    # the reason), unknown (value: why it is not known)
    kind: str
    value: str
    retry_after: float | None = None


def outcome_of(send: Callable[[], str]) -> Outcome:
    """Send, and say what happened. Anything but a known answer is an unknown outcome: the
    order may have been placed."""
    try:
        return Outcome("placed", str(send()))
    except FundsShort as error:
        return Outcome("funds", reason(error) or "Not enough funds on balance")
    except Refused as error:
        if ACTIVE_LINK in reason(error).lower():
            return Outcome("link busy", reason(error))
        return Outcome("refused", reason(error))
    except BackOff as error:
        return backed_off(error)
    except OutcomeUnknown as error:
        return Outcome("unknown", reason(error))
    except UpstreamError as error:
        return Outcome("unknown", f"{type(error).__name__}: {reason(error)}")
    except Exception as error:  # a defect after sending, perhaps: never sent again by itself
        return Outcome("unknown", f"{type(error).__name__}: {error}")


def backed_off(error: BackOff) -> Outcome:
    """Nothing was done: the upstream (or the lack of its URL or key) holds us off."""
    return Outcome("back off", reason(error), error.retry_after)


def reason(error: Exception) -> str:
    return str(getattr(error, "reason", "") or error)
