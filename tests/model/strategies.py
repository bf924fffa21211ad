"""What the network sends to `add`: the fields of each service type, now and then with one
mistake (a missing field, a quantity out of bounds, a drip-feed where none is offered)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.model.reference import KINDS, Service

LINKS = tuple(f"https://x.test/{name}" for name in "abcd")


def quantities(service: Service) -> st.SearchStrategy[int]:
    middle = min(max(service.min * 3, 137), service.max)
    return st.sampled_from(
        [middle, service.min, middle, service.max, service.min - 1, service.max + 1]
    )


@st.composite
def subscription_fields(draw: Any, service: Service) -> dict[str, str]:
    low = draw(st.sampled_from([service.min, service.min, service.min + 50, service.min - 1]))
    high = draw(st.sampled_from([service.max, service.max, low, service.max + 1, low - 1]))
    fields = {"min": str(low), "max": str(high), "delay": draw(st.sampled_from(["0", "30"]))}
    if draw(st.booleans()):
        fields["posts"] = str(draw(st.integers(0, 3)))
        if draw(st.booleans()):
            fields["old_posts"] = str(draw(st.integers(0, 1)))
    if draw(st.booleans()):
        fields["expiry"] = "31/12/2099"
    return fields


@st.composite
def web_traffic_fields(draw: Any) -> dict[str, str]:
    traffic = draw(st.sampled_from(["1", "2", "3"]))
    fields = {"device": draw(st.sampled_from(["1", "5"])), "type_of_traffic": traffic}
    if traffic == "1":
        fields["google_keyword"] = "shoes"
    if traffic == "2":
        fields["referring_url"] = "https://ref.test/"
    return fields


def list_of(name: str, count: int, commas: bool) -> str:
    items = [f"{name[:-1]}{i}" for i in range(count)]
    return ",".join(items) if commas else "\n".join(items)


@st.composite
def add_fields(draw: Any, service: Service | None) -> dict[str, str]:
    if service is None:  # an unknown service: any plausible fields
        return {"link": LINKS[0], "quantity": "100"}
    kind = KINDS[service.type]
    fields: dict[str, str] = {}
    if kind.link:
        fields["link"] = draw(st.sampled_from(LINKS))
    for name in kind.texts:
        fields[name] = draw(st.sampled_from(["alice", "bob"]))
    for name in kind.lists:
        commas = name in ("usernames", "hashtags") and draw(st.booleans())
        fields[name] = list_of(name, draw(st.integers(1, 4)), commas)
    if kind.charging == "quantity":
        fields["quantity"] = str(draw(quantities(service)))
    if kind.charging == "posts":
        fields |= draw(subscription_fields(service))
    if service.type == "Web Traffic":
        fields |= draw(web_traffic_fields())
    mistake = draw(st.sampled_from([None, None, None, None, "omit", "drip"]))
    if (kind.drip and draw(st.booleans())) or mistake == "drip":
        fields["runs"] = str(draw(st.integers(1, 3)))
        fields["interval"] = str(draw(st.sampled_from([1, 20])))
    if mistake == "omit":
        del fields[draw(st.sampled_from(sorted(fields)))]
    return fields
