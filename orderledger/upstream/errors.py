"""What a failed call to an upstream proves, as the exceptions the forwarder branches on.

Forwarding an order exactly once rests on one rule: only an answer that proves nothing was
placed may be retried. So every failure says which of three things it proves:

- nothing was done, try later (`BackOff`, and `KeyRefused` for a key the upstream does not
  know, which needs an operator rather than patience);
- the upstream decided against this request itself (`Refused`, `FundsShort`): retrying the
  same request gets the same answer;
- nothing at all (`OutcomeUnknown`): an `add` may or may not have been placed, and must be
  found out (by status, or by an operator) before anything is sent again.

The names are a contract: the forwarder imports them. No message ever holds the API key.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """A call to an upstream provider that did not succeed; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FundsShort(UpstreamError):
    """The upstream said our balance there is too low: the order was not placed."""


class Refused(UpstreamError):
    """The upstream refused this request itself, with its own reason (`Incorrect link`, ...)."""


class OutcomeUnknown(UpstreamError):
    """The request may or may not have been carried out: never send it again blindly."""


class BackOff(UpstreamError):
    """Nothing was done; try again later (after `retry_after` seconds, when the upstream said)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class KeyRefused(BackOff):
    """The upstream does not accept our API key (401, `Invalid API key`): nothing was done,
    and nothing will be until an operator fixes the key. A BackOff, so a forwarder that only
    knows BackOff waits rather than refuses orders; one that knows it alerts an operator."""


class UnreadableAnswer(UpstreamError):
    """An answer not in any shape the protocol documents. The client turns it into
    OutcomeUnknown for a request that changes something and BackOff for a read."""
