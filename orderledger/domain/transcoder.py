"""eventsourcing's JSON transcoder, decoding with msgspec: the same bytes, the same objects.

Decoding stored events was a fifth of a rebuild and a good part of loading aggregates:
Python's `json` calls eventsourcing's object hook for every dict, in Python. msgspec parses
the bytes in C; the few dicts that stand for a UUID, Decimal or datetime
(`{"_type_": ..., "_data_": ...}`) are then revived by eventsourcing's own transcodings,
innermost first, as `json` would have called its hook (any other dict goes to the hook).
Encoding is untouched, so what is stored does not change. Anything msgspec will not read
(the `NaN` that `json` accepts, say) falls back to the stock decoder.

Sets, which JSON has no form for, are written as `{"_type_": "set", "_data_": [...]}`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

decode_json = msgspec.json.Decoder().decode


class FastJSONTranscoder(JSONTranscoder):
    def decode(self, data: bytes) -> Any:
        try:
            document = decode_json(data)
        except msgspec.DecodeError:
            return super().decode(data)
        return self.revive(document)

    def revive(self, value: Any) -> Any:
        """Apply the object hook to every dict, innermost first, as `json` does."""
        if type(value) is list:
            return [self.revive(item) for item in value]
        if type(value) is not dict:
            return value
        names = self.names
        for key, item in value.items():
            kind = type(item)
            if kind is dict:
                # A UUID, Decimal or datetime, the common case: decoded here, as the hook
                # would (any other dict, or an unknown name, goes the hook's own way).
                name, data = item.get("_type_"), item.get("_data_")
                if len(item) == 2 and type(name) is str and type(data) is str and name in names:
                    value[key] = names[name].decode(data)
                else:
                    value[key] = self.revive(item)
            elif kind is list:
                value[key] = self.revive(item)
        return self._decode_obj(value) if len(value) == 2 else value


class SetAsList(Transcoding):
    type = set
    name = "set"

    def encode(self, obj: set[Any]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> set[Any]:
        return set(data)


class FrozenSetAsList(Transcoding):
    type = frozenset
    name = "frozenset"

    def encode(self, obj: frozenset[Any]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> frozenset[Any]:
        return frozenset(data)


def ledger_transcoder() -> FastJSONTranscoder:
    """eventsourcing's UUID, Decimal and datetime transcodings, and sets."""
    transcoder = FastJSONTranscoder()
    for transcoding in (
        UUIDAsHex(),
        DecimalAsStr(),
        DatetimeAsISO(),
        SetAsList(),
        FrozenSetAsList(),
    ):
        transcoder.register(transcoding)
    return transcoder
