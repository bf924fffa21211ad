"""Settings from the environment; the embedded SQLite store needs none.

Each setting is one field of `Settings`, declared once with `setting(...)` (name, parser,
default, help: see storage/environment.py). To add one: add a field here, with a parser from
environment.py (or a function of text that raises ValueError("expected ...")), and a row in
the README's table of settings; `Settings.from_env` then reads and validates it at every
start, `orderledger --help` lists it and tests/unit/test_settings.py holds the README to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from orderledger.storage.environment import (
    SettingsError,
    addresses,
    boolean,
    console_secret,
    declared,
    directory,
    not_shown,
    read_declared,
    setting,
    whole_number,
)

__all__ = ["PostgresAddress", "Settings", "SettingsError", "one_line"]

URL_FORM = "postgresql://user[:password]@host[:port]/dbname[?options]"

# libpq waits as long as the OS lets a TCP connect hang unless told otherwise: a URL without
# its own connect_timeout gets this one, so a wrong setting is said within seconds.
CONNECT_TIMEOUT_SECONDS = 4


def one_line(error: Exception) -> str:
    """libpq's message (often several indented lines) as one line."""
    return " ".join(str(error).split())


@dataclass(frozen=True)
class PostgresAddress:
    host: str
    port: int
    user: str
    password: str
    dbname: str
    # The URL as configured, handed to psycopg unchanged (query options such as sslmode
    # included); empty for an address made from its parts.
    given: str = field(default="", repr=False)

    @classmethod
    def from_url(cls, url: str) -> PostgresAddress:
        if urlsplit(url).scheme not in ("postgresql", "postgres"):
            raise SettingsError(f"expected {URL_FORM}")
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError as error:
            raise SettingsError(f"expected {URL_FORM}: {one_line(error)}") from None
        dbname = str(params.get("dbname") or "")
        if not dbname:
            raise SettingsError(f"expected {URL_FORM}: it names no database")
        port = str(params.get("port") or "5432").split(",")[0]
        return cls(
            host=str(params.get("host") or "localhost"),
            port=int(port) if port.isdigit() else 5432,
            user=str(params.get("user") or "postgres"),
            password=str(params.get("password") or ""),
            dbname=dbname,
            given=url,
        )

    def url(self) -> str:
        if self.given:
            return self.given
        password = f":{quote(self.password, safe='')}" if self.password else ""
        user = quote(self.user, safe="")
        return f"postgresql://{user}{password}@{self.host}:{self.port}/{quote(self.dbname)}"

    def conninfo(self) -> str:
        """What psycopg connects with: the URL as given, or the parts."""
        if self.given:
            if "connect_timeout" in conninfo_to_dict(self.given):
                return self.given
            return make_conninfo(self.given, connect_timeout=str(CONNECT_TIMEOUT_SECONDS))
        fields = {
            "host": self.host,
            "port": str(self.port),
            "user": self.user,
            "dbname": self.dbname,
            "connect_timeout": str(CONNECT_TIMEOUT_SECONDS),
        }
        if self.password:
            fields["password"] = self.password
        return make_conninfo(**fields)


PROJECTOR_IN_WORKERS = "ORDERLEDGER_PROJECTOR_IN_WORKERS"


def postgres_url(text: str) -> PostgresAddress | None:
    return PostgresAddress.from_url(text) if text else None


def url_shown(text: str) -> str:
    """The URL as given, but for its password."""
    masked = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)
    return repr(re.sub(r"(password\s*=\s*)\S+", r"\1***", masked))


@dataclass(frozen=True)
class Settings:
    postgres: PostgresAddress | None = setting(
        "ORDERLEDGER_DATABASE_URL",
        postgres_url,
        "",
        f"{URL_FORM}; unset: the embedded SQLite store",
        show=url_shown,
    )
    data_dir: Path = setting(
        "ORDERLEDGER_DATA_DIR",
        directory,
        "./var",
        "where the SQLite files live (made absolute at start, from the current folder)",
    )
    # Perfect Panel clients throw the body away on any non-2xx: answer 401/400 as 200.
    errors_as_200: bool = setting(
        "ORDERLEDGER_ERRORS_AS_200",
        boolean,
        "false",
        "answer `Invalid API key` and `Invalid action` with HTTP 200 (true or false)",
    )
    command_threads: int = setting(
        "ORDERLEDGER_COMMAND_THREADS",
        whole_number(1, 1024),
        "16",
        "threads that run commands (add, refill, cancel) per worker",
    )
    read_pool_size: int = setting(
        "ORDERLEDGER_READ_POOL_SIZE",
        whole_number(1, 1024),
        "8",
        "async PostgreSQL connections for queries per worker",
    )
    # False under `orderledger serve`, which runs the live projector in a process of its own
    # (cli/projector.py); a worker started any other way runs one, as a thread.
    projector_in_workers: bool = setting(
        PROJECTOR_IN_WORKERS,
        boolean,
        "true",
        "run the live projector as a thread in each worker (`serve` sets it false for its "
        "workers: its projector has a process of its own)",
    )
    ready_max_lag: int = setting(
        "ORDERLEDGER_READY_MAX_LAG",
        whole_number(0, 10**12),
        "10000",
        "/readyz answers 503 once a read model is more events than this behind the log",
    )
    metrics_token: str = setting(
        "ORDERLEDGER_METRICS_TOKEN",
        str,
        "",
        "a bearer token /metrics and /readyz require (unset: open)",
        show=not_shown,
        shown_in_repr=False,
    )
    console_secret: str = setting(
        "ORDERLEDGER_CONSOLE_SECRET",
        console_secret,
        "",
        "the key that signs the operator console's session cookies, at least 32 characters "
        "(unset: one generated once and kept in the store, the same for every worker)",
        show=not_shown,
        shown_in_repr=False,
    )
    forwarded_allow_ips: str = setting(
        "ORDERLEDGER_FORWARDED_ALLOW_IPS",
        addresses,
        "",
        "the reverse proxies whose X-Forwarded-For names the client: comma-separated "
        "addresses or networks, or * for any (unset: the peer's own address, always)",
    )

    upstream_sync_seconds: int = setting(
        "ORDERLEDGER_UPSTREAM_SYNC_SECONDS",
        whole_number(1, 86_400),
        "60",
        "seconds between two rounds of asking the upstreams about every forwarded order",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Every setting read from the environment (os.environ unless given); SettingsError,
        in one line, on the first bad one."""
        return read_declared(cls, environ)

    def describe(self) -> str:
        if self.postgres is None:
            return f"embedded SQLite in {self.data_dir.resolve()}"
        p = self.postgres
        return f"PostgreSQL {p.user}@{p.host}:{p.port}/{p.dbname}"

    def where_to_look(self) -> str:
        """The setting that says where the store is, for a message about a missing one."""
        if self.postgres is None:
            return "ORDERLEDGER_DATA_DIR (unset: ./var in the current folder)"
        return "ORDERLEDGER_DATABASE_URL"


def settings_help() -> str:
    """Every setting, a line each, for `orderledger --help`."""
    return "\n".join(s.describe() for _, s in declared(Settings))
