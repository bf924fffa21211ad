"""What the console's handlers are given beside the app's own dependencies (`ledger`, `run`,
`now`): one `console` dependency."""

from __future__ import annotations

from dataclasses import dataclass, field

from orderledger.http.api_v2 import ApiContext
from orderledger.http.console.recent import Recent
from orderledger.http.health import Operations
from orderledger.storage.database import Database
from orderledger.views.reads import ReadModels


@dataclass(frozen=True)
class ConsoleParts:
    key: str = field(repr=False)  # signs the session cookies
    db: Database  # the views' synchronous queries, run in a command thread
    api: ApiContext  # /api/v2's own reads: the console shows its answers as it gives them
    ops: Operations  # what /readyz and /metrics read: the health page shows the same
    overview: Recent = field(default_factory=Recent)  # the overview's figures, a moment old

    @property
    def reads(self) -> ReadModels:
        return self.api.reads
