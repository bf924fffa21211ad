"""The `add` an upstream is sent holds every field the network sent for the order, as it
sent it: one case per service type, read by `add` here and written back for the upstream."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from orderledger.domain.forward_fields import add_fields
from orderledger.domain.order import Order
from orderledger.domain.service import Service
from orderledger.domain.service_types import SERVICE_TYPES
from tests.conftest import entry

LINK = "https://instagram.com/p/abc"
# What a network sends for each type (every value a string, as in a form).
SENT: dict[str, dict[str, str]] = {
    "Default": {"link": LINK, "quantity": "500"},
    "Package": {"link": LINK},
    "SEO": {"link": LINK, "quantity": "500", "keywords": "cheap shoes\nred shoes"},
    "Custom Comments": {"link": LINK, "comments": "nice\ngreat pic\nwow"},
    "Custom Comments Package": {"link": LINK, "comments": "first\nsecond"},
    "Mentions": {"link": LINK, "quantity": "500", "usernames": "ann\nbob"},
    "Mentions with Hashtags": {
        "link": LINK,
        "quantity": "500",
        "usernames": "ann\nbob",
        "hashtags": "#one\n#two",
    },
    "Mentions Custom List": {"link": LINK, "usernames": "ann\nbob\ncid"},
    "Mentions Hashtag": {"link": LINK, "quantity": "500", "hashtag": "#summer"},
    "Mentions User Followers": {"link": LINK, "quantity": "500", "username": "celebrity"},
    "Mentions Media Likers": {"link": LINK, "quantity": "500", "media": "https://x/p/1"},
    "Comment Likes": {"link": LINK, "quantity": "500", "username": "commenter"},
    "Comment Replies": {"link": LINK, "username": "commenter", "comments": "yes\nno"},
    "Poll": {"link": LINK, "quantity": "500", "answer_number": "2"},
    "Invites from Groups": {"link": LINK, "quantity": "500", "groups": "g1\ng2"},
    "Subscriptions": {
        "username": "someone",
        "min": "100",
        "max": "200",
        "delay": "30",
        "posts": "5",
        "old_posts": "2",
        "expiry": "31/12/2099",
    },
    "Web Traffic": {
        "link": LINK,
        "quantity": "500",
        "country": "US",
        "device": "2",
        "type_of_traffic": "1",
        "google_keyword": "shoes",
    },
}


def placed(service_type: str, fields: dict[str, str], dripfeed: bool = False) -> Order:
    limits: dict[str, Any] = {"min": 1, "max": 10_000, "dripfeed": dripfeed}
    service = Service(**entry(4, service_type, **limits).fields(), number=4)
    terms = service.order_terms(fields)
    request = terms.request
    return Order(
        number=1,
        account_id=uuid4(),
        currency="USD",
        service_number=4,
        service_type=service_type,
        link=request.link,
        quantity=request.quantity,
        runs=request.runs,
        interval=request.interval,
        charged_quantity=request.charged_quantity,
        charge=terms.charge,
        details=terms.details,
    )


def test_every_service_type_has_a_case() -> None:
    assert set(SENT) == set(SERVICE_TYPES)


@pytest.mark.parametrize("service_type", sorted(SENT))
def test_the_upstream_is_sent_what_the_network_sent(service_type: str) -> None:
    sent = SENT[service_type]
    assert add_fields(placed(service_type, sent), 501) == {**sent, "service": "501"}


@pytest.mark.parametrize("service_type", ["Default", "Web Traffic"])
def test_a_drip_feed_is_sent_with_its_runs_and_interval(service_type: str) -> None:
    sent = {**SENT[service_type], "runs": "3", "interval": "60"}
    order = placed(service_type, sent, dripfeed=True)
    assert add_fields(order, 501) == {**sent, "service": "501"}


def test_usernames_sent_with_commas_reach_the_upstream_one_a_line() -> None:
    order = placed("Mentions", {"link": LINK, "quantity": "500", "usernames": "ann, bob"})
    assert add_fields(order, 501)["usernames"] == "ann\nbob"
