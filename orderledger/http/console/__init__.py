"""The operator console under /console/: server-rendered pages for staff (operator tokens,
who may act) and auditors (who may look), served by the same workers as /api/v2.

`console_routes` builds the console's routers: the sign-in page and the assets, open to all;
every other page behind `guards.signed_in` (a session cookie, re-checked each request, and a
CSRF token on each POST). A page is a route in a module here, a template in `templates/` and
an entry in `nav.NAV`; one that acts guards its POST with `guards.may_act`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from litestar import Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from orderledger.http.api_v2 import ApiContext
from orderledger.http.console.accounts import AccountPages
from orderledger.http.console.auth import SignIn, SignOut
from orderledger.http.console.errors import EXCEPTION_HANDLERS
from orderledger.http.console.fulfilment import FulfilmentPages
from orderledger.http.console.guards import signed_in
from orderledger.http.console.health_page import HealthPage
from orderledger.http.console.in_doubt import InDoubt
from orderledger.http.console.nav import PREFIX
from orderledger.http.console.orders import OrderPages
from orderledger.http.console.overview import Overview
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.console.presenters import FILTERS
from orderledger.http.console.projections import ProjectionPages
from orderledger.http.console.services import ServicePages
from orderledger.http.console.upstreams import UpstreamPages
from orderledger.http.dependencies import always
from orderledger.http.health import Operations
from orderledger.storage.database import Database

HERE = Path(__file__).parent
STATIC = f"{PREFIX}/static"


def console_templates() -> TemplateConfig[JinjaTemplateEngine]:
    def with_filters(engine: JinjaTemplateEngine) -> None:
        engine.engine.filters.update(FILTERS)
        engine.engine.globals["static"] = STATIC

    return TemplateConfig(
        directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=with_filters
    )


def console_routes(
    key: str, api: ApiContext, db: Database, clock: Callable[[], datetime], ops: Operations
) -> list[ControllerRouterHandler]:
    dependencies = {"console": always(ConsoleParts(key, db, api, ops))}
    return [
        Router(
            "/",
            route_handlers=[SignIn],
            dependencies=dependencies,
            exception_handlers=EXCEPTION_HANDLERS,
            include_in_schema=False,
        ),
        Router(
            PREFIX,
            route_handlers=[
                Overview,
                OrderPages,
                InDoubt,
                UpstreamPages,
                HealthPage,
                AccountPages,
                ServicePages,
                FulfilmentPages,
                ProjectionPages,
                SignOut,
            ],
            guards=[signed_in(key, api.reads, clock)],
            dependencies=dependencies,
            exception_handlers=EXCEPTION_HANDLERS,
            include_in_schema=False,
        ),
        create_static_files_router(
            path=STATIC,
            directories=[HERE / "static"],
            name="console-static",
            include_in_schema=False,
        ),
    ]
