"""Fixtures: every test that touches a database runs on the real PostgreSQL and on SQLite.

One fresh PostgreSQL database per test run (dropped at the end), its schema emptied before
each test; a fresh SQLite directory per test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient

from orderledger.bench.postgres import fresh_database
from orderledger.bench.preload import default_catalogue
from orderledger.bootstrap import Store
from orderledger.domain.account import Account, Billing
from orderledger.domain.catalogue import CatalogueEntry, read_catalogue
from orderledger.http.app import create_app
from orderledger.storage.credentials import Role
from orderledger.storage.settings import PostgresAddress, Settings

ADMIN_URL = os.environ.get(
    "ORDERLEDGER_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REAL_CATALOGUE = default_catalogue()
BACKENDS = os.environ.get("ORDERLEDGER_TEST_BACKENDS", "postgres,sqlite").split(",")


@pytest.fixture(scope="session")
def postgres_address() -> Iterator[PostgresAddress]:
    with fresh_database(ADMIN_URL, prefix="orderledger_test") as address:
        yield address


def empty_postgres(address: PostgresAddress) -> None:
    with psycopg.connect(address.conninfo(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    if backend == "postgres":
        address: PostgresAddress = request.getfixturevalue("postgres_address")
        empty_postgres(address)
        return Settings(postgres=address, data_dir=tmp_path / "var")
    return Settings(postgres=None, data_dir=tmp_path / "var")


@pytest.fixture
def postgres(settings: Settings) -> PostgresAddress:
    """The database of the PostgreSQL run, for a test about PostgreSQL itself (its
    connections, its settings): such a test is skipped on SQLite."""
    if settings.postgres is None:
        pytest.skip("about PostgreSQL")
    return settings.postgres


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def real_catalogue() -> list[CatalogueEntry]:
    return read_catalogue(REAL_CATALOGUE)


def open_account(
    store: Store,
    name: str = "network",
    deposit: str | None = "100",
    billing: Billing = Billing.PREPAID,
    credit: str = "0",
    currency: str = "USD",
) -> tuple[Account, str]:
    """An account with its API key, funded when prepaid."""
    account = store.ledger.open_account(name, currency, billing, Decimal(credit))
    key = store.credentials.issue(Role.API, str(account.id), name)
    if deposit is not None and billing is Billing.PREPAID:
        account = store.ledger.deposit(name, Decimal(deposit))
    return account, key


def entry(number: int, service_type: str = "Default", **overrides: object) -> CatalogueEntry:
    """A catalogue entry for tests; rate 2.50 per 1000, limits 10..10000."""
    fields: dict[str, object] = {
        "number": number,
        "name": f"Service {number}",
        "type": service_type,
        "category": "Tests",
        "rate": Decimal("2.50"),
        "min": 10,
        "max": 10000,
        "dripfeed": False,
        "refill": False,
        "cancel": False,
        "description": "",
        "refill_days": 30,
    }
    fields.update(overrides)
    return CatalogueEntry(**fields)  # type: ignore[arg-type]


def settle(store: Store, timeout: float = 10.0, project: bool = True) -> None:
    """Wait until the read models hold every event so far: projected by a live projector,
    or (unless `project` is False) by this call."""
    import contextlib
    import time

    from orderledger.projections.runner import ConcurrentProjection

    projector = store.projector()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # The server's live projector may move first; then it is doing the work.
        if project:
            with contextlib.suppress(ConcurrentProjection):
                projector.catch_up()
        if min(projector.positions().values()) >= projector.head():
            return
        time.sleep(0.01)
    raise AssertionError("the projections did not catch up")


def use_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    if settings.postgres is None:
        monkeypatch.delenv("ORDERLEDGER_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("ORDERLEDGER_DATABASE_URL", settings.postgres.url())
    monkeypatch.setenv("ORDERLEDGER_DATA_DIR", str(settings.data_dir))
