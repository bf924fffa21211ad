"""An account's `balance` answer: the one definition.

`balance_answer` is the protocol's object for the account, both values strings, in this field
order: a postpaid account shows its fixed figure (its credit) and is invoiced later, any other
account its balance. `http/presenters.balance` is this function: presenters own the wire format
of every answer, and this one is defined on the read side because the read side also keeps it
ready.

On PostgreSQL each account-balance row carries its answer as JSON text, derived from the row
whenever the row is written and filled for old rows when a start adds the column
(`projections.account_balance.ANSWER_SQL`, a generated column), so the key's own query can
answer a plain `balance` of an account whose row has all its events (`views.key_lookups`). A
projection may not import the read side, so that expression is a second spelling of this
function, held to it byte for byte (`msgspec.json.encode` of what this returns) for every
amount within the ledger's bounds by tests/views/test_stored_balance_answer.py; the fast path
answers the usual path's bytes: tests/http/test_balance_framing.py.
"""

from __future__ import annotations

from orderledger.domain.account import Billing
from orderledger.domain.money import wire
from orderledger.projections.account_balance import AccountBalanceRow


def balance_answer(row: AccountBalanceRow) -> dict[str, str]:
    shown = row.credit if row.billing == Billing.POSTPAID.value else row.balance
    return {"balance": wire(shown), "currency": row.currency}
