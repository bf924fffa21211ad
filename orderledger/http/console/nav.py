"""The console's pages as its navigation lists them: adding a page is a route, a template
and an entry here."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "/console"


@dataclass(frozen=True)
class NavEntry:
    title: str
    path: str  # under PREFIX; the entry is marked current for this path and the paths below it

    @property
    def href(self) -> str:
        return f"{PREFIX}{self.path}"

    def current(self, path: str) -> bool:
        if self.path == "/":
            return path in (PREFIX, f"{PREFIX}/")
        return path == self.href or path.startswith(f"{self.href}/")


NAV: tuple[NavEntry, ...] = (
    NavEntry("Overview", "/"),
    NavEntry("Orders", "/orders"),
    NavEntry("Accounts", "/accounts"),
    NavEntry("Services", "/services"),
    NavEntry("Fulfilment", "/fulfilment"),
    NavEntry("Projections", "/projections"),
    NavEntry("In doubt", "/in-doubt"),
    NavEntry("Upstreams", "/upstreams"),
    NavEntry("Health", "/health"),
)
