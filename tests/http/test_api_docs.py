"""The API documentation page works without internet: everything it loads is served by the
app itself, and the document describes `/api/v2`."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from litestar.testing import TestClient

from orderledger.domain.service_types import SERVICE_TYPES
from orderledger.http.api_v2_schema import ANSWERS, FIELDS
from orderledger.http.parsing import ACTIONS, BY_ACTION

CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class Assets(HTMLParser):
    """The URLs a page loads: scripts, stylesheets, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))


def page_assets(html: str) -> list[str]:
    parser = Assets()
    parser.feed(html)
    return parser.urls


def check_served_locally(get: Any, page: str) -> list[str]:
    """Every script and stylesheet of the page at `page`, fetched: each from this server."""
    response = get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = page_assets(response.text)
    kinds = {url.rsplit(".", 1)[-1] for url in urls}
    assert {"js", "css"} <= kinds, urls  # the page is Swagger UI's, scripts and styles
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is not served by orderledger"
        asset = get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url  # the smallest is the 628-byte icon
        suffix = "." + url.rsplit(".", 1)[-1]
        assert CONTENT_TYPES[suffix] in asset.headers["content-type"], url
    return urls


def test_the_schema_page_loads_nothing_from_the_internet(client: TestClient) -> None:  # type: ignore[type-arg]
    urls = check_served_locally(client.get, "/schema")
    assert "/schema/assets/swagger-ui-bundle.js" in urls
    assert client.get("/schema/swagger").text == client.get("/schema").text


def test_the_vendored_assets_ship_with_their_licence(client: TestClient) -> None:  # type: ignore[type-arg]
    licence = client.get("/schema/assets/LICENSE")
    assert licence.status_code == 200
    assert "Apache License" in licence.text


def test_the_document_describes_api_v2_and_its_answers(client: TestClient) -> None:  # type: ignore[type-arg]
    document = client.get("/schema/openapi.json").json()
    api = document["paths"]["/api/v2"]
    assert set(api) == {"get", "post"}
    body = api["post"]["requestBody"]["content"]
    assert set(body) == {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/json",
    }
    request = document["components"]["schemas"]["ApiV2Request"]
    assert request["required"] == ["key", "action"]
    assert set(request["properties"]["action"]["enum"]) == set(ACTIONS)
    assert {"service", "link", "quantity", "order", "orders", "refill", "refills"} <= set(
        request["properties"]
    )
    answers = api["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    named = {option["$ref"].rsplit("/", 1)[-1] for option in answers["anyOf"]}
    assert named == {name for name, _ in ANSWERS}
    assert named <= set(document["components"]["schemas"])
    assert {"400", "401"} <= set(api["get"]["responses"])


def test_fulfilment_and_audit_refusals_are_described_as_answered(client: TestClient) -> None:  # type: ignore[type-arg]
    document = client.get("/schema/openapi.json").json()
    deliver = document["paths"]["/dispatch/orders/{number}/deliver"]["post"]["responses"]
    assert {"200", "400", "401", "404", "409", "422"} <= set(deliver)
    history = document["paths"]["/audit/orders/{number}/history"]["get"]["responses"]
    assert {"200", "401", "404"} <= set(history)
    refusal = deliver["404"]["content"]["application/json"]["schema"]["$ref"].rsplit("/")[-1]
    assert document["components"]["schemas"][refusal]["required"] == ["error"]
    report = document["components"]["schemas"]["DeliveryReport"]
    assert report["additionalProperties"] is False  # an unknown field is refused (422)


def test_every_field_an_action_or_a_service_type_reads_is_described() -> None:
    described = set(FIELDS)
    for action in BY_ACTION.values():
        assert set(action.__struct_fields__) <= described, action
    for name, rule in SERVICE_TYPES.items():
        assert {*rule.lists, *rule.texts} <= described, name
    subscription_and_traffic = {"min", "max", "delay", "posts", "old_posts", "expiry"} | {
        "device", "type_of_traffic", "google_keyword", "referring_url", "runs", "interval"
    }  # fmt: skip
    assert subscription_and_traffic <= described
