"""Whoever holds bearer tokens in a role (a delivery bot, an auditor): the record of what was
done to their tokens. The tokens themselves are never in an event: they are credentials,
stored only as hashes (`storage/credentials.py`), which every request looks up afresh."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.ids import token_holder_id


class TokenHolder(Aggregate):
    @staticmethod
    def create_id(role: str, name: str) -> UUID:
        return token_holder_id(role, name)

    class Named(Aggregate.Created):
        role: str
        name: str

    @event(Named)
    def __init__(self, role: str, name: str) -> None:
        self.role = role
        self.name = name
        self.revoked = 0

    class Revoked(Aggregate.Event):
        """Every token the holder had in its role was revoked (`tokens` of them), by `by`."""

        tokens: int
        by: str

    def revoke(self, tokens: int, by: str) -> None:
        self.record_revoked(tokens=tokens, by=by)

    @event(Revoked)
    def record_revoked(self, tokens: int, by: str) -> None:
        self.revoked += tokens
