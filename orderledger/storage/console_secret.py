"""The key that signs the operator console's session cookies, when no setting gives one.

It is made once per store and kept in `orderledger_console_secret`: every worker, and every
restart, signs and checks with the same key. Two workers starting together both try to make
it; the row's key refuses the second, and both then read the one that was kept.
"""

from __future__ import annotations

import secrets

from orderledger.storage.database import Database

ROW = 1


def stored_console_secret(db: Database) -> str:
    with db.transaction() as cursor:
        cursor.execute(
            "INSERT INTO orderledger_console_secret (id, secret) VALUES (%s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (ROW, secrets.token_hex(32)),
        )
    rows = db.alone("SELECT secret FROM orderledger_console_secret WHERE id = %s", (ROW,))
    return str(rows[0][0])


def console_secret(db: Database, configured: str) -> str:
    """The setting's key if one is set, else the store's."""
    return configured or stored_console_secret(db)
