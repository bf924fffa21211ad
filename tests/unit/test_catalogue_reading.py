"""Catalogue files as real providers write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderledger.domain.catalogue import CatalogueEntry, CatalogueError, read_catalogue
from orderledger.domain.service_types import SERVICE_TYPES


def read_one(tmp_path: Path, **fields: object) -> CatalogueEntry:
    raw = {"service": 1, "name": "Likes", "rate": "0.5", "min": "10", "max": "100", **fields}
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps([raw]), encoding="utf-8")
    [entry] = read_catalogue(path)
    return entry


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("default", "Default"),
        ("DEFAULT", "Default"),
        ("custom_comments", "Custom Comments"),
        ("comment_likes", "Comment Likes"),
        ("custom-comments-package", "Custom Comments Package"),
        ("mentions_with_hashtags", "Mentions with Hashtags"),
        ("seo", "SEO"),
        ("web traffic", "Web Traffic"),
        ("Invites from Groups", "Invites from Groups"),
    ],
)
def test_type_names_in_lower_or_snake_case_are_the_canonical_types(
    tmp_path: Path, written: str, canonical: str
) -> None:
    assert read_one(tmp_path, type=written).type == canonical


def test_every_canonical_type_reads_as_itself_in_snake_case(tmp_path: Path) -> None:
    for name in SERVICE_TYPES:
        assert read_one(tmp_path, type=name.lower().replace(" ", "_")).type == name


def test_an_unknown_type_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="unknown service type 'Likes Fast'"):
        read_one(tmp_path, type="Likes Fast")


def test_desc_is_read_as_the_description(tmp_path: Path) -> None:
    assert read_one(tmp_path, desc="Real likes, no drop").description == "Real likes, no drop"
    both = read_one(tmp_path, desc="short", description="the long one")
    assert both.description == "the long one"


def test_names_categories_and_descriptions_are_kept_exactly_as_written(tmp_path: Path) -> None:
    entry = read_one(
        tmp_path,
        name="Instagram Likes\u00a0",
        category=" \u2b50 Instagram | Likes\u00a0",
        description="line one\nline two\n",
    )
    assert entry.name == "Instagram Likes\u00a0"
    assert entry.category == " \u2b50 Instagram | Likes\u00a0"
    assert entry.description == "line one\nline two\n"
