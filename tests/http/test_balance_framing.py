"""A `balance` answered whole by the key's query (the answer kept ready beside the account's
row) is the same JSON, byte for byte, as the usual path's (the row read, its newer events
folded on, the answer built and encoded), for prepaid and postpaid accounts, negative
balances and currencies that need escaping; and an account with a charge, refund or deposit
committed past its row's position is never answered from its row."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import msgspec
import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store, runtime
from orderledger.cli.common import catch_up
from orderledger.domain.account import Billing
from orderledger.http.api_v2 import parsed_action, plain_request
from orderledger.http.app import create_app
from orderledger.views.key_lookups import key_holder
from orderledger.views.reads import ReadModels
from tests.conftest import open_account
from tests.http.conftest import CATALOGUE

ACCOUNTS: dict[str, dict[str, Any]] = {
    "prepaid": {"deposit": "100.12345", "currency": "EUR"},
    "overdrawn": {"deposit": "-7.5", "currency": "USD"},  # an adjustment below zero
    "postpaid": {"billing": Billing.POSTPAID, "credit": "250", "currency": "RUB"},
    "owes": {"billing": Billing.POSTPAID, "credit": "-0.00001", "currency": 'U"S\\D\n\u2028'},
    "empty": {"deposit": None, "currency": "€"},
}


@dataclass
class Accounts:
    client: TestClient  # type: ignore[type-arg]
    store: Store
    keys: dict[str, str]
    reads: ReadModels  # the app's own

    def ready(self, name: str) -> bytes | None:
        """The whole answer the key's query brings; None: the usual path answers."""
        key = self.keys[name]
        asked = plain_request(parsed_action({"key": key, "action": "balance"}))
        holder = self.client.blocking_portal.call(key_holder, self.reads, key, asked)
        assert holder is not None
        return holder.ready

    def answer(self, name: str) -> bytes:
        response = self.client.post("/api/v2", data={"key": self.keys[name], "action": "balance"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        return response.content

    def usual_answer(self, name: str) -> bytes:
        """The answer with every key looked up on its own: no answer kept ready is read."""
        with patch.object(ReadModels, "batches_key_lookups", return_value=False):
            return self.answer(name)

    def shown(self, name: str) -> Decimal:
        return Decimal(msgspec.json.decode(self.answer(name))["balance"])


@pytest.fixture
def accounts(store: Store) -> Iterator[Accounts]:
    """Accounts of both billings, each with orders charged and one refunded, all projected
    (the app's live projector is off: what is committed later stays past the rows)."""
    store.ledger.sync_services(CATALOGUE)
    keys = {name: open_account(store, name, **fields)[1] for name, fields in ACCOUNTS.items()}
    for name in ("prepaid", "postpaid", "owes"):
        account = store.ledger.account(name)
        for i in range(3):
            store.ledger.place_order(account.id, 1, {"link": f"https://x/{i}", "quantity": "130"})
        last = store.ledger.place_order(account.id, 1, {"link": "https://x/c", "quantity": "100"})
        store.ledger.cancel_order(last.number)
    catch_up(store)
    served = runtime(store.settings, projector=False)
    with TestClient(create_app(store.settings, parts=served)) as client:
        yield Accounts(client, store, keys, served.reads)


def test_the_fast_path_answers_the_usual_paths_bytes(accounts: Accounts) -> None:
    fast_path = accounts.store.settings.postgres is not None  # SQLite: the usual path always
    for name in ACCOUNTS:
        usual = accounts.usual_answer(name)
        assert accounts.answer(name) == usual, name
        assert accounts.ready(name) == (usual if fast_path else None), name
    shown = {name: accounts.shown(name) for name in ACCOUNTS}
    charged = 3 * Decimal("0.325")  # three orders of 130 at 2.50 per 1000; the fourth refunded
    assert shown == {
        "prepaid": Decimal("100.12345") - charged,
        "overdrawn": Decimal("-7.5"),
        "postpaid": Decimal("250"),
        "owes": Decimal("-0.00001"),
        "empty": Decimal("0"),
    }


def test_a_movement_committed_a_moment_ago_is_in_the_next_answer(accounts: Accounts) -> None:
    """Each deposit, charge and refund committed past the row's position: the key's query
    brings no answer kept ready, and the answer has the movement."""
    ledger = accounts.store.ledger
    account = ledger.account("prepaid")
    expected = accounts.shown("prepaid")
    ledger.deposit("prepaid", Decimal("5.00001"))
    expected += Decimal("5.00001")
    assert accounts.ready("prepaid") is None
    assert accounts.shown("prepaid") == expected
    placed = ledger.place_order(account.id, 1, {"link": "https://x/late", "quantity": "200"})
    expected -= Decimal("0.5")
    assert accounts.ready("prepaid") is None
    assert accounts.shown("prepaid") == expected
    ledger.cancel_order(placed.number)
    expected += Decimal("0.5")
    assert accounts.ready("prepaid") is None
    assert accounts.shown("prepaid") == expected
    assert accounts.answer("prepaid") == accounts.usual_answer("prepaid")
    # another account's movements leave this one's answer ready (PostgreSQL)
    if accounts.store.settings.postgres is not None:
        assert accounts.ready("overdrawn") == accounts.usual_answer("overdrawn")
    catch_up(accounts.store)
    ready = accounts.ready("prepaid")
    assert ready == (accounts.answer("prepaid") if accounts.store.settings.postgres else None)
    assert accounts.shown("prepaid") == expected


def test_an_account_not_projected_yet_is_answered_by_the_usual_path(accounts: Accounts) -> None:
    _, key = open_account(accounts.store, "late", deposit="3")
    accounts.keys["late"] = key
    assert accounts.ready("late") is None
    assert accounts.shown("late") == Decimal("3")
