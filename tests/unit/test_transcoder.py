"""The msgspec-backed transcoder decodes every stored document as eventsourcing's own does."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from orderledger.domain.transcoder import FastJSONTranscoder


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


STOCK = registered(JSONTranscoder())
FAST = registered(FastJSONTranscoder())

DOCUMENTS: list[Any] = [
    {"charge": Decimal("0.25000"), "account_id": uuid4(), "at": datetime.now(UTC)},
    {"details": {"comments": ["a", {"nested": Decimal("1.5")}], "answer_number": None}},
    {"list": [uuid4(), [Decimal("2"), {"deep": [datetime(2026, 1, 2, tzinfo=UTC)]}]]},
    {"_type_": "looks like", "but": "three keys", "x": 1},
    {"_type_": "no data"},
    {"text": 'quotes " \\ and é ✓ \u2028', "big": 2**62, "float": 1.5, "flag": True},
    [Decimal("3"), {"k": uuid4()}],
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_fast_decoder_gives_what_the_stock_one_gives(document: Any) -> None:
    data = STOCK.encode(document)
    assert FAST.decode(data) == STOCK.decode(data) == document


@pytest.mark.parametrize("data", [b'{"x": NaN}', b'{"x": 123456789012345678901234567890}'])
def test_what_msgspec_will_not_read_falls_back_to_the_stock_decoder(data: bytes) -> None:
    assert repr(FAST.decode(data)) == repr(STOCK.decode(data))


def test_an_unknown_type_name_is_still_refused() -> None:
    with pytest.raises(TranscodingNotRegisteredError):
        FAST.decode(b'{"x": {"_type_": "nobody", "_data_": "1"}}')
