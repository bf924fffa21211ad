"""Settings from the environment; the embedded SQLite store needs none."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class PostgresAddress:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def from_url(cls, url: str) -> PostgresAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise SettingsError(f"ORDERLEDGER_DATABASE_URL must be postgresql://..., not {url!r}")
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise SettingsError("ORDERLEDGER_DATABASE_URL names no database")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            dbname=dbname,
        )

    def url(self) -> str:
        password = f":{quote(self.password, safe='')}" if self.password else ""
        user = quote(self.user, safe="")
        return f"postgresql://{user}{password}@{self.host}:{self.port}/{quote(self.dbname)}"

    def conninfo(self) -> str:
        fields = {
            "host": self.host,
            "port": str(self.port),
            "user": self.user,
            "dbname": self.dbname,
        }
        if self.password:
            fields["password"] = self.password
        return " ".join(f"{k}='{v}'" for k, v in fields.items())


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

    @classmethod
    def from_env(cls) -> Settings:
        url = os.environ.get("ORDERLEDGER_DATABASE_URL", "").strip()
        return cls(
            postgres=PostgresAddress.from_url(url) if url else None,
            data_dir=Path(os.environ.get("ORDERLEDGER_DATA_DIR", "var")),
            errors_as_200=flag("ORDERLEDGER_ERRORS_AS_200"),
            command_threads=int(os.environ.get("ORDERLEDGER_COMMAND_THREADS", "16")),
            read_pool_size=int(os.environ.get("ORDERLEDGER_READ_POOL_SIZE", "8")),
        )

    def describe(self) -> str:
        if self.postgres is None:
            return f"embedded SQLite in {self.data_dir.resolve()}"
        p = self.postgres
        return f"PostgreSQL {p.user}@{p.host}:{p.port}/{p.dbname}"
