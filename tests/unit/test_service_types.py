"""What each service type requires of an `add`, how lists split, and what it charges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderledger.domain.errors import (
    IncorrectRequest,
    InvalidLink,
    InvalidQuantity,
    QuantityAboveMaximum,
    QuantityBelowMinimum,
)
from orderledger.domain.money import charge_for
from orderledger.domain.service_types import SERVICE_TYPES, Charging, Limits, read_order

LIMITS = Limits(10, 1000)

# One complete, valid `add` per service type, and the charged quantity it yields.
VALID: dict[str, tuple[dict[str, object], int]] = {
    "Default": ({"link": "https://x", "quantity": "100"}, 100),
    "Package": ({"link": "https://x"}, 1),
    "SEO": ({"link": "https://x", "quantity": "50", "keywords": "a\nb"}, 50),
    "Custom Comments": (
        {"link": "https://x", "comments": "nice\r\ngood\n\n" + "\n".join("c" * 8)},
        10,
    ),
    "Custom Comments Package": ({"link": "https://x", "comments": "one\ntwo"}, 1),
    "Mentions": ({"link": "https://x", "quantity": "20", "usernames": "a,b\nc"}, 20),
    "Mentions with Hashtags": (
        {"link": "https://x", "quantity": "20", "usernames": "a", "hashtags": "#x,#y"},
        20,
    ),
    "Mentions Custom List": (
        {"link": "https://x", "usernames": ",".join(f"u{i}" for i in range(12))},
        12,
    ),
    "Mentions Hashtag": ({"link": "https://x", "quantity": "30", "hashtag": "#tag"}, 30),
    "Mentions User Followers": ({"link": "https://x", "quantity": "30", "username": "bob"}, 30),
    "Mentions Media Likers": ({"link": "https://x", "quantity": "30", "media": "https://m"}, 30),
    "Comment Likes": ({"link": "https://x", "quantity": "30", "username": "bob"}, 30),
    "Comment Replies": (
        {"link": "https://x", "username": "bob", "comments": "\n".join(f"r{i}" for i in range(11))},
        11,
    ),
    "Poll": ({"link": "https://x", "quantity": "40", "answer_number": "2"}, 40),
    "Invites from Groups": ({"link": "https://x", "quantity": "40", "groups": "g1\ng2"}, 40),
    "Subscriptions": ({"username": "bob", "min": "10", "max": "100", "delay": "0"}, 0),
    "Web Traffic": (
        {
            "link": "https://x",
            "quantity": "100",
            "country": "US",
            "device": "2",
            "type_of_traffic": "1",
            "google_keyword": "shoes",
        },
        100,
    ),
}


def test_every_service_type_of_the_protocol_is_covered() -> None:
    assert set(VALID) == set(SERVICE_TYPES)


@pytest.mark.parametrize("service_type", sorted(VALID))
def test_a_complete_add_is_accepted_with_its_charged_quantity(service_type: str) -> None:
    fields, charged = VALID[service_type]
    request = read_order(service_type, LIMITS, True, fields)
    assert request.charged_quantity == charged


@pytest.mark.parametrize("service_type", sorted(VALID))
def test_each_required_field_is_required(service_type: str) -> None:
    fields, _ = VALID[service_type]
    for name in fields:
        if service_type == "Web Traffic" and name == "google_keyword":
            continue  # checked below: it depends on type_of_traffic
        incomplete = {k: v for k, v in fields.items() if k != name}
        with pytest.raises((IncorrectRequest, InvalidLink, InvalidQuantity)):
            read_order(service_type, LIMITS, True, incomplete)


def test_missing_link_is_an_incorrect_link() -> None:
    with pytest.raises(InvalidLink):
        read_order("Default", LIMITS, False, {"link": "  ", "quantity": "100"})


@pytest.mark.parametrize("quantity", ["abc", "-5", "0", "1.5", "", None, True, 2.5])
def test_a_quantity_that_is_not_a_positive_whole_number_is_refused(quantity: object) -> None:
    with pytest.raises(InvalidQuantity):
        read_order("Default", LIMITS, False, {"link": "https://x", "quantity": quantity})


def test_quantity_limits_name_the_limit() -> None:
    with pytest.raises(QuantityBelowMinimum) as below:
        read_order("Default", LIMITS, False, {"link": "https://x", "quantity": "9"})
    assert below.value.minimum == 10
    with pytest.raises(QuantityAboveMaximum) as above:
        read_order("Default", LIMITS, False, {"link": "https://x", "quantity": 1001})
    assert above.value.maximum == 1000


def test_json_numbers_are_accepted_as_quantities() -> None:
    assert read_order("Default", LIMITS, False, {"link": "l", "quantity": 100}).quantity == 100


def test_comment_count_is_held_to_the_limits() -> None:
    with pytest.raises(QuantityBelowMinimum):
        read_order("Custom Comments", LIMITS, False, {"link": "l", "comments": "a\nb"})


def test_usernames_split_on_commas_and_line_breaks_but_comments_keep_commas() -> None:
    mentions = read_order(
        "Mentions", LIMITS, False, {"link": "l", "quantity": "10", "usernames": "a, b\r\nc\nd,"}
    )
    assert mentions.details["usernames"] == ["a", "b", "c", "d"]
    comments = read_order(
        "Custom Comments",
        LIMITS,
        False,
        {"link": "l", "comments": "hello, world\r\n" + "\n".join(str(i) for i in range(9))},
    )
    assert comments.details["comments"][0] == "hello, world"
    assert comments.quantity == 10


def test_drip_feed_charges_quantity_times_runs_and_keeps_quantity_in_limits() -> None:
    request = read_order(
        "Default", LIMITS, True, {"link": "l", "quantity": "500", "runs": "3", "interval": "15"}
    )
    assert (request.quantity, request.runs, request.interval) == (500, 3, 15)
    assert request.charged_quantity == 1500  # above max 1000 in total, which is allowed
    assert charge_for(Decimal("2.50"), request.charged_quantity, flat=False) == Decimal("3.75000")
    with pytest.raises(QuantityAboveMaximum):
        read_order(
            "Default", LIMITS, True, {"link": "l", "quantity": "1001", "runs": "2", "interval": "5"}
        )


def test_drip_feed_needs_both_runs_and_interval_and_a_drip_feed_service() -> None:
    with pytest.raises(IncorrectRequest):
        read_order("Default", LIMITS, True, {"link": "l", "quantity": "100", "runs": "3"})
    with pytest.raises(IncorrectRequest):
        read_order(
            "Default", LIMITS, False, {"link": "l", "quantity": "100", "runs": "3", "interval": "5"}
        )


def test_empty_runs_and_interval_are_no_drip_feed() -> None:
    request = read_order(
        "Default", LIMITS, False, {"link": "l", "quantity": "100", "runs": "", "interval": ""}
    )
    assert request.runs is None and request.charged_quantity == 100


def test_web_traffic_needs_a_keyword_or_referrer_by_traffic_type() -> None:
    base = {"link": "l", "quantity": "100", "country": "US", "device": "1"}
    with pytest.raises(IncorrectRequest):
        read_order("Web Traffic", LIMITS, True, {**base, "type_of_traffic": "1"})
    with pytest.raises(IncorrectRequest):
        read_order("Web Traffic", LIMITS, True, {**base, "type_of_traffic": "2"})
    ok = read_order(
        "Web Traffic", LIMITS, True, {**base, "type_of_traffic": "2", "referring_url": "https://r"}
    )
    assert ok.details["referring_url"] == "https://r"
    assert (
        read_order("Web Traffic", LIMITS, True, {**base, "type_of_traffic": "3"}).charged_quantity
        == 100
    )
    with pytest.raises(IncorrectRequest):
        read_order("Web Traffic", LIMITS, True, {**base, "device": "6", "type_of_traffic": "3"})


def test_subscriptions_are_charged_per_post_and_check_their_bounds() -> None:
    fields = {
        "username": "bob",
        "min": "10",
        "max": "100",
        "delay": "30",
        "posts": "5",
        "expiry": "31/12/2099",
    }
    request = read_order("Subscriptions", LIMITS, False, fields)
    assert request.charging is Charging.PER_POST and request.charged_quantity == 0
    assert request.details == {
        "username": "bob",
        "min": 10,
        "max": 100,
        "delay": 30,
        "posts": 5,
        "expiry": "2099-12-31",
    }
    with pytest.raises(IncorrectRequest):
        read_order("Subscriptions", LIMITS, False, {**fields, "expiry": "2099-12-31"})
    with pytest.raises(InvalidQuantity):
        read_order("Subscriptions", LIMITS, False, {**fields, "min": "200"})
    with pytest.raises(QuantityAboveMaximum):
        read_order("Subscriptions", LIMITS, False, {**fields, "max": "5000"})


@pytest.mark.parametrize(
    ("rate", "quantity", "flat", "charge"),
    [
        ("0.73", 1000, False, "0.73000"),
        ("18.75", 100, False, "1.87500"),
        ("16.875", 333, False, "5.61938"),  # 5.619375 rounds half-up
        ("0.0025", 2, False, "0.00001"),  # 0.000005 rounds half-up, not to even
        ("12", 1, True, "12.00000"),
    ],
)
def test_charge_is_rate_per_thousand_rounded_half_up_to_five_places(
    rate: str, quantity: int, flat: bool, charge: str
) -> None:
    assert str(charge_for(Decimal(rate), quantity, flat=flat)) == charge


def test_drip_feed_runs_and_interval_are_bounded() -> None:
    for runs, interval in (
        ("1001", "10"),
        ("2", "99999999999999999999"),
        ("9223372036854775807", "1"),
    ):
        with pytest.raises(IncorrectRequest):
            read_order(
                "Default",
                LIMITS,
                True,
                {"link": "l", "quantity": "100", "runs": runs, "interval": interval},
            )


def test_zero_runs_and_interval_mean_no_drip_feed() -> None:
    for zero in ("0", 0):
        fields = {"link": "l", "quantity": "100", "runs": zero, "interval": zero}
        assert read_order("Default", LIMITS, False, fields).runs is None


def test_old_posts_only_subscriptions_and_past_expiry() -> None:
    fields = {"username": "u", "min": "10", "max": "20", "delay": "30", "posts": "0"}
    assert read_order("Subscriptions", LIMITS, False, fields).details["posts"] == 0
    with pytest.raises(IncorrectRequest, match="past"):
        read_order("Subscriptions", LIMITS, False, {**fields, "expiry": "11/11/2022"})
    with pytest.raises(IncorrectRequest):
        read_order("Subscriptions", LIMITS, False, {**fields, "delay": "99999999"})


def test_links_with_control_characters_or_unstorable_text_are_incorrect() -> None:
    for link in (
        "https://x/\x07",
        "https://x\n/y",
        "https://x/\ud800",
        "https://x/\x01y",
        "https://x/\x1f/y",
    ):
        with pytest.raises(InvalidLink):
            read_order("Default", LIMITS, False, {"link": link, "quantity": "100"})
