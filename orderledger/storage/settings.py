"""Settings from the environment; the embedded SQLite store needs none."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo


class SettingsError(ValueError):
    pass


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
            raise SettingsError(f"ORDERLEDGER_DATABASE_URL must be postgresql://..., not {url!r}")
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError as error:
            raise SettingsError(f"ORDERLEDGER_DATABASE_URL: {one_line(error)}") from None
        dbname = str(params.get("dbname") or "")
        if not dbname:
            raise SettingsError("ORDERLEDGER_DATABASE_URL names no database")
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


def flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "y", "yes", "true", "on")


@dataclass(frozen=True)
class Settings:
    postgres: PostgresAddress | None
    data_dir: Path
    # Perfect Panel clients throw the body away on any non-2xx: answer 401/400 as 200.
    errors_as_200: bool = False
    command_threads: int = 16
    read_pool_size: int = 8
    # False under `orderledger serve`, which runs the live projector in a process of its own
    # (cli/projector.py); a worker started any other way runs one, as a thread.
    projector_in_workers: bool = True
    # Operability (issue 12), declared here and read in `from_env` below:
    # /readyz answers 503 once a read model is more events than this behind the log's head.
    ready_max_lag: int = 10_000
    # A bearer token /metrics and /readyz require when set (compared in constant time).
    metrics_token: str = field(default="", repr=False)
    # The reverse proxies whose X-Forwarded-For names the client (comma-separated
    # addresses or networks, "*" for any); empty: the peer's own address, always.
    forwarded_allow_ips: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        url = os.environ.get("ORDERLEDGER_DATABASE_URL", "").strip()
        return cls(
            postgres=PostgresAddress.from_url(url) if url else None,
            data_dir=Path(os.environ.get("ORDERLEDGER_DATA_DIR", "var")),
            errors_as_200=flag("ORDERLEDGER_ERRORS_AS_200"),
            command_threads=int(os.environ.get("ORDERLEDGER_COMMAND_THREADS", "16")),
            read_pool_size=int(os.environ.get("ORDERLEDGER_READ_POOL_SIZE", "8")),
            projector_in_workers=os.environ.get(PROJECTOR_IN_WORKERS, "1") != "0",
            ready_max_lag=int(os.environ.get("ORDERLEDGER_READY_MAX_LAG", "10000")),
            metrics_token=os.environ.get("ORDERLEDGER_METRICS_TOKEN", "").strip(),
            forwarded_allow_ips=os.environ.get("ORDERLEDGER_FORWARDED_ALLOW_IPS", "").strip(),
        )

    def describe(self) -> str:
        if self.postgres is None:
            return f"embedded SQLite in {self.data_dir.resolve()}"
        p = self.postgres
        return f"PostgreSQL {p.user}@{p.host}:{p.port}/{p.dbname}"
