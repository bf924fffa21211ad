"""A fresh PostgreSQL database for one benchmark run, dropped after it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from orderledger.storage.settings import PostgresAddress

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("ORDERLEDGER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)


@contextmanager
def fresh_database(admin: str, prefix: str = "orderledger_bench") -> Iterator[PostgresAddress]:
    """A new, empty database on the admin URL's server, dropped when the block ends."""
    server = PostgresAddress.from_url(admin)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PostgresAddress(server.host, server.port, server.user, server.password, name)
    finally:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
