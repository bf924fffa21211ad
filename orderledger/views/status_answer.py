"""An order's `status` answer: the one definition.

`status_answer` is the protocol's object for one order, all values strings, in this field
order. `http/presenters.order_status` is this function: presenters own the wire format of
every answer, and this one is defined on the read side because the read side also keeps it
ready.

On PostgreSQL each order-status row carries its answer as JSON text, derived from the row
whenever the row is written and filled for old rows when a start adds the column
(`projections.order_status.ANSWER_SQL`, a generated column): networks poll every order every
minute, and building each answer at every read was most of the database's work for a
`status` of 100. A projection may not import the read side, so that expression is a second
spelling of this function, held to it byte for byte (`msgspec.json.encode` of what this
returns) for every order state by tests/views/test_stored_status_answer.py.

A multi `status` answers an object keyed by each asked id as the client wrote it. The usual
path builds that mapping and encodes it (`http/api_v2.status`); the fast path joins the
answers kept ready (`joined_document`, `joined_single`). Both write the same bytes, for single
and multi requests alike: tests/http/test_status_framing.py.
"""

from __future__ import annotations

from orderledger.domain.money import wire
from orderledger.projections.order_status import OrderStatusRow


def status_answer(row: OrderStatusRow) -> dict[str, str]:
    return {
        "charge": wire(row.charge),
        "start_count": str(row.start_count),
        "status": row.status,
        "remains": str(row.remains),
        "currency": row.currency,
    }


def joined_document(entries: str) -> bytes:
    """A multi `status` response from its `"number":answer` entries, comma-separated in the
    asked order, each answer JSON text kept ready: what `msgspec.json.encode` writes for the
    same mapping (no spaces, keys as given)."""
    return b"{" + entries.encode() + b"}"


def joined_single(entries: str, number: str) -> bytes:
    """A single `status` response: the one entry's answer, without its `"number":` (the
    number as the entry writes it)."""
    return entries[len(number) + 3 :].encode()
