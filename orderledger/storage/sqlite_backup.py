"""An online, consistent backup of the embedded SQLite store: both of its files as they stood
at one moment, while `serve` goes on reading and writing.

The store is two files (storage/sqlite.py): the events (`events.sqlite`) and the read models
with the tracking positions, order-number sequences and token hashes (`ledger.sqlite`). Each
file copied alone would be consistent, but the pair would not be: a read model copied after the
events could track events the copy lacks, and a sequence copied before them could hand out an
order number again. So the copy starts with both write locks held for a moment: with no write
in either file, a read transaction is opened on each (in WAL mode it sees that moment for as
long as it is open), the locks are let go, and sqlite3's backup API copies each file through
its read transaction. Writers wait only for the moment, not for the copy.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path

FILES = ("events.sqlite", "ledger.sqlite")  # the store; the *.lock files beside them are not
BUSY_MS = 30_000  # as long as the store's own writers wait for a lock


class BackupRefused(Exception):
    """Why a backup was not made (nothing is left at the target)."""


@dataclass(frozen=True)
class BackupMade:
    target: Path
    events: int  # the number of the last event in the copy
    bytes: int


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    return conn


def backup_store(data_dir: Path, target: Path) -> BackupMade:
    """Copy the store under `data_dir` to the new directory `target`."""
    sources = [data_dir / name for name in FILES]
    missing = [str(path) for path in sources if not path.exists()]
    if missing:
        raise BackupRefused(f"no SQLite store in {data_dir.resolve()}: {', '.join(missing)}")
    if target.exists():
        raise BackupRefused(f"{target} already exists: give a new directory")
    partial = target.with_name(f"{target.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)  # what an interrupted backup left
    partial.mkdir(parents=True)
    try:
        events = copy_at_one_moment(sources, [partial / name for name in FILES])
        for name in FILES:
            check_copy(partial / name)
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    size = sum((target / name).stat().st_size for name in FILES)
    return BackupMade(target, events, size)


def copy_at_one_moment(sources: list[Path], copies: list[Path]) -> int:
    """Copy each source file as all of them stood at one moment; the last event number."""
    with ExitStack() as stack:
        readers = [stack.enter_context(closing(connect(path))) for path in sources]
        with ExitStack() as locks:
            writers = [locks.enter_context(closing(connect(path))) for path in sources]
            for writer in writers:  # every writer of the store waits from here...
                writer.execute("BEGIN IMMEDIATE")
            for reader in readers:
                reader.execute("BEGIN")
                reader.execute("SELECT count(*) FROM sqlite_master").fetchall()  # the snapshot
            for writer in writers:  # ...to here
                writer.execute("ROLLBACK")
        events = last_event(readers[0])
        for reader, copy in zip(readers, copies, strict=True):
            with closing(sqlite3.connect(copy)) as destination:
                reader.backup(destination)
        return events


def last_event(events: sqlite3.Connection) -> int:
    tables = {row[0] for row in events.execute("SELECT name FROM sqlite_master")}
    if "stored_events" not in tables:
        return 0
    row = events.execute("SELECT max(rowid) FROM stored_events").fetchone()
    return int(row[0] or 0)


def check_copy(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        result = conn.execute("PRAGMA quick_check").fetchone()
    if result is None or result[0] != "ok":
        raise BackupRefused(f"the copy {path} failed its check: {result}")
