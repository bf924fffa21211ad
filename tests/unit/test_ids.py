"""The ids of a multi request, as the client wrote them, and which are plain numbers."""

from __future__ import annotations

import pytest

from orderledger.domain.errors import IncorrectRequest
from orderledger.http.parsing import plain_numbers, split_ids


def test_ids_keep_the_clients_order_and_text_once_each() -> None:
    assert split_ids(" 12, x,,12 ,007, ") == ["12", "x", "007"]
    assert split_ids(["3,4", 5]) == ["3", "4", "5"]


@pytest.mark.parametrize("value", ["", " , ,", []])
def test_no_ids_is_a_refusal(value: str | list[str]) -> None:
    with pytest.raises(IncorrectRequest):
        split_ids(value)


def test_more_than_a_hundred_ids_is_a_refusal() -> None:
    with pytest.raises(IncorrectRequest):
        split_ids(",".join(str(n) for n in range(1, 102)))


def test_plain_numbers_are_read_as_numbers() -> None:
    assert plain_numbers(["12", "3", "999999999999999999"]) == [12, 3, 999999999999999999]


@pytest.mark.parametrize(
    "unusual", ["007", "0", "-5", "+5", "1e3", "x", "1 2", "١٢", "9999999999999999999"]
)
def test_one_unusual_id_makes_none_of_them_plain(unusual: str) -> None:
    assert plain_numbers(["12", unusual]) is None
