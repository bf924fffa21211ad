"""The ids of a multi request, as the client wrote them, and when they are plain numbers; a
form's pairs, as `parse_qsl` reads them."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from orderledger.domain.errors import IncorrectRequest
from orderledger.http.api_v2 import plain_status
from orderledger.http.parsing import form_pairs, parse_action, split_ids


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


def plain(orders: str) -> tuple[str, int] | None:
    asked = plain_status(parse_action({"key": "k", "action": "status", "orders": orders}))
    return None if asked is None else (asked.numbers, asked.count)


def test_plain_numbers_are_sent_as_the_usual_path_reads_them() -> None:
    assert plain("12,3,999999999999999999") == ("12,3,999999999999999999", 3)
    assert plain(" 12 , 3,12,,") == ("12,3", 2)  # stripped, once each, as split_ids reads
    assert plain(",".join(str(n) for n in range(1, 101))) == (
        ",".join(str(n) for n in range(1, 101)),
        100,
    )
    assert plain(",".join(str(n) for n in range(1, 102))) is None  # the usual path refuses


@pytest.mark.parametrize(
    "unusual", ["007", "0", "-5", "+5", "1e3", "x", "1 2", "١٢", "9999999999999999999"]
)
def test_one_unusual_id_makes_none_of_them_plain(unusual: str) -> None:
    assert plain(f"12,{unusual}") is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "key=k&action=status&orders=1,2,3",
        "a&b=&=c&&d==e&f=1=2&",
        "key=k&action=add&link=https://x/?a=1;b=2&quantity=100",
        "x=a%2Cb&y=c+d",  # escaped: parse_qsl itself reads it
        "naïve=€&ok",
    ],
)
def test_a_form_reads_as_parse_qsl_reads_it(text: str) -> None:
    assert form_pairs(text) == parse_qsl(text, keep_blank_values=True)
