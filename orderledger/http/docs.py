"""The API documentation: the OpenAPI document at `/schema/openapi.json` and the Swagger UI
page at `/schema`, whose scripts and stylesheet are served from the package
(`/schema/assets/`), so the page works on a host without internet.

The document describes the Litestar routes (the fulfilment and audit APIs) as Litestar
generates it, plus `/api/v2` from its own description (http/api_v2_schema.py), added to the
document whatever serves that path.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import msgspec
from litestar import Router
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, OpenAPI, Schema, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.typing import FieldDefinition

from orderledger.http import api_v2_schema

ASSETS = Path(__file__).parent / "static" / "swagger-ui"  # swagger-ui-dist; see its README
ASSETS_PATH = "/schema/assets"


def documentation_assets() -> Router:
    return create_static_files_router(
        path=ASSETS_PATH, directories=[ASSETS], name="schema-assets", include_in_schema=False
    )


@dataclass
class DocumentWithPaths(OpenAPI):
    """The generated document with paths (and their component schemas) that no Litestar
    route describes."""

    added_paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    added_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_schema(self) -> dict[str, Any]:
        generated = OpenAPI.to_schema(replace(self, added_paths={}, added_schemas={}))
        generated.setdefault("paths", {}).update(self.added_paths)
        components = generated.setdefault("components", {})
        components.setdefault("schemas", {}).update(self.added_schemas)
        return generated

    @property
    def _exclude_fields(self) -> set[str]:
        return {"added_paths", "added_schemas"}


@dataclass
class DocumentationConfig(OpenAPIConfig):
    added_paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    added_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_openapi_schema(self) -> OpenAPI:
        document = super().to_openapi_schema()
        parts = {f.name: getattr(document, f.name) for f in fields(OpenAPI)}
        return DocumentWithPaths(
            **parts, added_paths=self.added_paths, added_schemas=self.added_schemas
        )


def asset(name: str) -> str:
    return f"{ASSETS_PATH}/{name}"


def documentation(version: str) -> OpenAPIConfig:
    return DocumentationConfig(
        title="orderledger",
        version=version,
        render_plugins=[
            SwaggerRenderPlugin(
                path=["/", "/swagger"],
                js_url=asset("swagger-ui-bundle.js"),
                css_url=asset("swagger-ui.css"),
                standalone_preset_js_url=asset("swagger-ui-standalone-preset.js"),
                favicon=f"<link rel='icon' type='image/png' href='{asset('favicon-32x32.png')}'>",
            ),
            JsonRenderPlugin(),
            YamlRenderPlugin(),
        ],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="An operator token (fulfilment) or an auditor token "
                    "(audit), made by `orderledger operators create` / `auditors create`.",
                )
            }
        ),
        added_paths={api_v2_schema.PATH: api_v2_schema.PATH_ITEM},
        added_schemas=api_v2_schema.SCHEMAS,
    )


class ClosedStructs(StructSchemaPlugin):
    """Litestar's description of a msgspec struct, saying `additionalProperties: false` for one
    that refuses unknown fields (the fulfilment API's bodies: a misspelt field is a 422)."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
            schema.additional_properties = False
        return schema
