"""Upstream answers read as real providers write them: the files under recorded/ are in the
shapes Perfect Panel-style providers answer (ids as numbers and as strings, "In Progress",
"Cancelled", extra fields, numbers as numbers, a multi-status with errors in it)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderledger.domain.order import OrderStatus
from orderledger.domain.refill import RefillStatus
from orderledger.upstream.answers import (
    Accepted,
    NotFound,
    Refusal,
    StatusAnswer,
    Unreadable,
    UpstreamBalance,
    parse,
    read_added,
    read_balance,
    read_cancels,
    read_refill,
    read_refill_status,
    read_refill_statuses,
    read_services,
    read_status,
    read_statuses,
)
from orderledger.upstream.errors import (
    FundsShort,
    KeyRefused,
    Refused,
    UnreadableAnswer,
    UpstreamError,
)

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> Any:
    return parse((RECORDED / name).read_bytes())


# ---- balance ------------------------------------------------------------------------------


def test_a_balance_written_as_a_string_reads_exactly() -> None:
    assert read_balance(recorded("balance.json")) == UpstreamBalance(Decimal("100.84292"), "USD")


def test_a_balance_written_as_a_number_reads_as_a_decimal_never_a_float() -> None:
    balance = read_balance(recorded("balance_as_number.json"))
    assert balance == UpstreamBalance(Decimal("12.30"), "EUR")
    assert type(balance.amount) is Decimal


def test_a_balance_parsed_with_floats_is_refused_rather_than_rounded() -> None:
    with pytest.raises(UnreadableAnswer):
        read_balance({"balance": 12.3, "currency": "USD"})


def test_a_balance_answer_that_is_an_error_says_so() -> None:
    with pytest.raises(KeyRefused):
        read_balance({"error": "Invalid API key"})
    with pytest.raises(UnreadableAnswer):
        read_balance({"currency": "USD"})


# ---- services -----------------------------------------------------------------------------


def test_services_read_every_entry_a_catalogue_import_would_read() -> None:
    services = read_services(recorded("services.json"))
    by_number = {entry.number: entry for entry in services.entries}
    assert sorted(by_number) == [1, 2, 3, 4, 5, 8]
    assert by_number[2].type == "Custom Comments"
    assert by_number[3].type == "Default"
    assert by_number[3].rate == Decimal("0.0125")
    assert (by_number[3].dripfeed, by_number[3].cancel, by_number[3].max) == (True, True, 10000000)
    assert by_number[3].description == "Start 0-1 hour"
    assert by_number[5].type == "Mentions with Hashtags"
    assert by_number[1].refill and by_number[1].cancel


def test_an_entry_that_cannot_be_read_is_skipped_with_its_reason() -> None:
    skipped = dict(read_services(recorded("services.json")).skipped)
    assert sorted(skipped) == ["6", "7"]
    assert "unknown service type" in skipped["6"]
    assert "ask support" in skipped["7"]


def test_a_service_listed_twice_is_kept_once_and_the_second_skipped() -> None:
    entry = {"service": 1, "name": "A", "type": "Default", "rate": "1", "min": "1", "max": "9"}
    services = read_services([entry, {**entry, "name": "B"}])
    assert [e.name for e in services.entries] == ["A"]
    assert [number for number, _ in services.skipped] == ["1"]


def test_a_services_answer_that_is_not_a_list_fails_as_a_whole() -> None:
    with pytest.raises(KeyRefused):
        read_services({"error": "Invalid API key"})
    with pytest.raises(UnreadableAnswer):
        read_services({"services": "none"})


# ---- add ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["add.json", "add_id_as_string.json"])
def test_an_order_id_as_a_number_or_a_string_reads_as_the_same_text(name: str) -> None:
    assert read_added(recorded(name)) == "23501"


def test_an_order_id_beside_a_success_word_is_the_order_id() -> None:
    assert read_added(recorded("add_with_status.json")) == "151"


def test_an_order_id_written_with_spaces_is_stripped() -> None:
    assert read_added({"order": " 77 "}) == "77"


@pytest.mark.parametrize("answer", recorded("add_funds_short.json"), ids=str)
def test_every_way_panels_write_not_enough_funds_is_funds_short(answer: Any) -> None:
    with pytest.raises(FundsShort) as raised:
        read_added(answer)
    assert raised.value.reason == answer["error"].strip()


@pytest.mark.parametrize("answer", recorded("add_refused.json"), ids=str)
def test_any_other_error_of_an_add_refuses_the_order_with_its_text(answer: Any) -> None:
    with pytest.raises(Refused) as raised:
        read_added(answer)
    assert type(raised.value) is Refused
    assert raised.value.reason == answer["error"]


def test_an_invalid_key_on_add_is_a_key_refused_not_a_refused_order() -> None:
    with pytest.raises(KeyRefused):
        read_added({"error": "Invalid API key"})
    with pytest.raises(Refused):
        read_added({"error": "Incorrect keywords"})  # an SEO order's field, not our key


@pytest.mark.parametrize("answer", recorded("add_unreadable.json"), ids=str)
def test_an_add_answer_of_any_other_shape_is_unreadable(answer: Any) -> None:
    with pytest.raises(UnreadableAnswer):
        read_added(answer)


# ---- status -------------------------------------------------------------------------------


def test_a_single_status_reads_every_figure_exactly() -> None:
    assert read_status(recorded("status.json")) == StatusAnswer(
        status=OrderStatus.PARTIAL,
        charge=Decimal("0.27819"),
        start_count=3572,
        remains=157,
        currency="USD",
    )


def test_a_multi_status_keyed_by_id_reads_each_id_on_its_own() -> None:
    ids = ["1", "10", "100", "101", "102", "103", "104"]
    answers = read_statuses(recorded("status_many.json"), ids)
    assert list(answers) == ids
    assert answers["10"] == NotFound("Incorrect order ID")
    assert answers["100"] == StatusAnswer(
        OrderStatus.IN_PROGRESS, Decimal("1.44219"), 234, 10, "USD"
    )
    # numbers as numbers, and the extra fields some panels add, change nothing
    assert answers["101"] == StatusAnswer(OrderStatus.CANCELED, Decimal(0), 1200, 1000, "USD")
    assert answers["102"] == StatusAnswer(OrderStatus.PENDING, Decimal("2.5"), None, 1000, "USD")
    assert answers["103"] == StatusAnswer(OrderStatus.COMPLETED, Decimal("9.00000"), None, 0, "USD")
    assert answers["104"] == StatusAnswer(OrderStatus.PROCESSING, Decimal("0.90"), 0, 1000, None)


def test_a_multi_status_answered_as_a_list_reads_each_entry_by_its_order_field() -> None:
    ids = [str(n) for n in range(276801, 276802)] + [str(n) for n in range(266094, 266100)]
    answers = read_statuses(recorded("status_many_as_list.json"), ids)
    assert answers["276801"] == Unreadable("remains is not a count: 'Unknown'")
    assert answers["266094"] == StatusAnswer(OrderStatus.COMPLETED, Decimal(10500), 1217, 0, None)
    assert answers["266095"] == NotFound("Incorrect order ID")
    assert answers["266096"] == StatusAnswer(OrderStatus.PARTIAL, Decimal("3.75"), 88, 250, None)
    assert answers["266097"] == Unreadable("remains is not a count: '-15'")
    assert answers["266098"] == Unreadable("unknown status 'Error'")
    # a charge written as a JSON number is exact; an unreadable start_count is unknown
    assert answers["266099"] == StatusAnswer(
        OrderStatus.IN_PROGRESS, Decimal("1.5"), None, 12, None
    )


def test_an_id_the_answer_leaves_out_is_unreadable_not_missing() -> None:
    answers = read_statuses(recorded("status_many.json"), ["1", "999"])
    assert isinstance(answers["1"], StatusAnswer)
    assert isinstance(answers["999"], Unreadable)


def test_ids_match_however_the_upstream_writes_them() -> None:
    answers = read_statuses({" 0100 ": recorded("status.json")}, ["100"])
    assert isinstance(answers["100"], StatusAnswer)


def test_a_single_status_answer_to_a_one_id_request_is_that_ids() -> None:
    answers = read_statuses(recorded("status.json"), ["5"])
    assert isinstance(answers["5"], StatusAnswer)


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Pending", OrderStatus.PENDING),
        ("In progress", OrderStatus.IN_PROGRESS),
        ("In Progress", OrderStatus.IN_PROGRESS),
        ("inprogress", OrderStatus.IN_PROGRESS),
        ("in_progress", OrderStatus.IN_PROGRESS),
        ("Active", OrderStatus.IN_PROGRESS),
        ("Processing", OrderStatus.PROCESSING),
        ("Completed", OrderStatus.COMPLETED),
        ("Complete", OrderStatus.COMPLETED),
        ("Partial", OrderStatus.PARTIAL),
        ("Partially Completed", OrderStatus.PARTIAL),
        ("Canceled", OrderStatus.CANCELED),
        ("Cancelled", OrderStatus.CANCELED),
        (" CANCELED ", OrderStatus.CANCELED),
        ("Refunded", OrderStatus.REFUNDED),
        ("Failed", OrderStatus.FAILED),
        ("Fail", OrderStatus.FAILED),
    ],
)
def test_status_words_read_without_case_spaces_or_underscores(
    word: str, status: OrderStatus
) -> None:
    answer = read_status({"status": word, "charge": "1", "remains": "0"})
    assert isinstance(answer, StatusAnswer)
    assert answer.status is status


@pytest.mark.parametrize("word", ["Error", "Unknown", "", None, 3, "Done-ish"])
def test_a_status_word_not_known_is_unreadable_not_guessed(word: object) -> None:
    assert isinstance(read_status({"status": word}), Unreadable)


@pytest.mark.parametrize(
    ("written", "count"),
    [
        (12, 12),
        ("12", 12),
        (" 12 ", 12),
        ("12.0", 12),
        (Decimal("12.0"), 12),
        ("", None),
        (None, None),
    ],
)
def test_remains_is_a_whole_number_however_written(written: object, count: int | None) -> None:
    answer = read_status({"status": "Partial", "remains": written})
    assert isinstance(answer, StatusAnswer)
    assert answer.remains == count


@pytest.mark.parametrize("written", ["12.5", "-1", -1, "1e3", "many", True, Decimal("1.5")])
def test_remains_that_is_no_count_makes_the_answer_unreadable(written: object) -> None:
    assert isinstance(read_status({"status": "Partial", "remains": written}), Unreadable)


@pytest.mark.parametrize("written", ["abc", "-0.5", 0.5, "NaN"])
def test_a_charge_that_is_no_amount_makes_the_answer_unreadable(written: object) -> None:
    assert isinstance(read_status({"status": "Completed", "charge": written}), Unreadable)


def test_a_multi_status_that_is_an_error_fails_as_a_whole() -> None:
    with pytest.raises(KeyRefused):
        read_statuses({"error": "Invalid API key"}, ["1", "2"])
    with pytest.raises(Refused):
        read_statuses({"error": "Incorrect request"}, ["1", "2"])
    with pytest.raises(UnreadableAnswer):
        read_statuses("ok", ["1"])


# ---- cancel -------------------------------------------------------------------------------


def test_a_multi_cancel_reads_each_id_as_accepted_or_refused() -> None:
    answers = read_cancels(recorded("cancel_many.json"), ["9", "2", "3", "4", "5"])
    assert answers == {
        "9": Refusal("Incorrect order ID"),
        "2": Accepted(""),
        "3": Accepted("Your cancellation request has been received."),
        "4": Refusal("Order cannot be canceled"),
        "5": Unreadable("the answer says nothing of 5"),
    }


def test_a_single_cancel_answer_reads_as_its_id() -> None:
    assert read_cancels(recorded("cancel.json"), ["123"]) == {
        "123": Accepted("Your cancellation request has been received.")
    }


def test_a_cancel_answer_that_is_one_error_fails_as_a_whole() -> None:
    with pytest.raises(Refused):
        read_cancels({"error": "Incorrect request"}, ["1", "2"])


# ---- refill -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "refill"),
    [
        ("refill.json", "1"),
        ("refill_with_message.json", "41"),
        ("refill_with_success.json", "12345"),
    ],
)
def test_a_refill_id_reads_as_text_however_written(name: str, refill: str) -> None:
    assert read_refill(recorded(name)) == refill


@pytest.mark.parametrize("answer", recorded("refill_refused.json"), ids=str)
def test_a_refill_the_upstream_will_not_do_is_refused_with_its_reason(answer: Any) -> None:
    with pytest.raises(Refused) as raised:
        read_refill(answer)
    assert raised.value.reason in {
        "Order not eligible for refill.",
        "Order cannot be refilled",
        "Incorrect order ID",
    }


@pytest.mark.parametrize("answer", [{"message": "ok"}, {"refill": None}, [], "1"], ids=str)
def test_a_refill_answer_of_another_shape_is_unreadable(answer: Any) -> None:
    with pytest.raises(UnreadableAnswer):
        read_refill(answer)


def test_refill_statuses_read_each_refill_on_its_own() -> None:
    answers = read_refill_statuses(recorded("refill_status_many.json"), list("1234567"))
    assert answers == {
        "1": RefillStatus.COMPLETED,
        "2": RefillStatus.REJECTED,
        "3": NotFound("Refill not found"),
        "4": RefillStatus.IN_PROGRESS,
        "5": RefillStatus.PENDING,
        "6": Unreadable("unknown status 'Awaiting moderation'"),
        "7": Unreadable("the answer says nothing of 7"),
    }


def test_a_single_refill_status_reads_as_its_refill() -> None:
    assert read_refill_status(recorded("refill_status.json")) is RefillStatus.COMPLETED
    assert read_refill_statuses(recorded("refill_status.json"), ["8"]) == {
        "8": RefillStatus.COMPLETED
    }


def test_refill_statuses_keyed_by_id_read_as_well() -> None:
    answers = read_refill_statuses({"1": "Completed", "2": {"status": "failed"}}, ["1", "2"])
    assert answers == {"1": RefillStatus.COMPLETED, "2": RefillStatus.FAILED}


# ---- bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body>502 Bad Gateway</body></html>", b'{"order": ', b"NaN", b"\xff\xfe"],
    ids=str,
)
def test_a_body_that_is_not_json_is_unreadable(body: bytes) -> None:
    with pytest.raises(UnreadableAnswer):
        parse(body)


def test_a_body_with_a_byte_order_mark_reads_as_json() -> None:
    assert read_added(parse(b'\xef\xbb\xbf{"order": 5}')) == "5"


def test_every_refusal_is_an_upstream_error_with_its_reason() -> None:
    with pytest.raises(UpstreamError) as raised:
        read_added({"error": "Incorrect link"})
    assert raised.value.reason == "Incorrect link"
    assert str(raised.value) == "Incorrect link"
