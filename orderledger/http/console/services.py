"""The service catalogue: a search (name, category or number, in the URL) of the catalogue's
read model, and importing a catalogue file with a preview first.

The preview is the plan `orderledger services import --dry-run` prints
(application/catalogue_import.py). Applying it is a second POST that carries the previewed
file back (a hidden field of the preview's form) with a seal: an HMAC, by the console's key,
of the file's SHA-256 and of the plan's fingerprint. The apply re-plans the file against the
catalogue as it stands then and carries it out only if the seal matches: the same file, and
the same changes as were previewed. If the catalogue changed meanwhile the plan differs, and
the apply is refused with a new preview to look at. Nothing is kept on the server, so any
worker can take the second POST; the seal is why the browser cannot send back a file, or
have a plan carried out, other than the one it was shown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.response import Template

from orderledger.application.catalogue_import import (
    carry_out,
    plan_fingerprint,
    plan_items,
    planned,
)
from orderledger.application.ledger import Ledger
from orderledger.domain.catalogue import CatalogueError, ImportPlan, parse_catalogue
from orderledger.http.console.guards import may_act, signed
from orderledger.http.console.nav import PREFIX
from orderledger.http.console.pages import page
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.dependencies import CommandThreads
from orderledger.views.catalogue import search_services

Raw = Request[Any, Any, Any]
PAGE = 100
# Bytes: a catalogue of tens of thousands of services. The preview sends it back in base64
# (a third more) under Litestar's 10 MB limit of a request's body.
MAX_FILE = 6_000_000


def seal(key: str, text: str, plan: ImportPlan) -> str:
    file_hash = hashlib.sha256(text.encode()).hexdigest()
    message = f"catalogue-import\n{file_hash}\n{plan_fingerprint(plan)}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def carried(encoded: str) -> str:
    """The previewed file as its form carries it back: base64 of its UTF-8 (a form's text
    would come back with its line breaks changed, and its hash with them)."""
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise CatalogueError(f"the previewed file did not come back whole ({error})") from error


async def uploaded_text(request: Raw) -> tuple[str, str]:
    """The uploaded file's name and text (UTF-8), or CatalogueError saying why not."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise CatalogueError("choose a catalogue file to upload")
    data = await upload.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise CatalogueError(f"{upload.filename}: larger than {MAX_FILE // 1_000_000} MB")
    try:
        return upload.filename, data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CatalogueError(f"{upload.filename}: not UTF-8 text ({error})") from error


class ServicePages(Controller):
    path = "/services"

    @get()
    async def list(
        self,
        request: Raw,
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        return await catalogue_page(request, console, run)

    @post("/import", guards=[may_act], status_code=200)
    async def preview(
        self,
        request: Raw,
        console: NamedDependency[ConsoleParts],
        ledger: NamedDependency[Ledger],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        try:
            source, text = await uploaded_text(request)
            entries = parse_catalogue(text, source)
        except CatalogueError as error:
            return await catalogue_page(request, console, run, refused=str(error), status=422)
        plan = await run(planned, ledger, entries)
        return preview_page(request, console, source, text, len(entries), plan)

    @post("/import/apply", guards=[may_act], status_code=200)
    async def apply(
        self,
        request: Raw,
        console: NamedDependency[ConsoleParts],
        ledger: NamedDependency[Ledger],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        form = await request.form()
        source = str(form.get("source") or "the file")
        try:
            text = carried(str(form.get("catalogue") or ""))
            entries = parse_catalogue(text, source)
        except CatalogueError as error:
            return await catalogue_page(request, console, run, refused=str(error), status=422)
        plan = await run(planned, ledger, entries)

        def again(status: int, refused: str) -> Template:  # the preview, with what stopped it
            return preview_page(
                request, console, source, text, len(entries), plan, status=status, refused=refused
            )

        if not hmac.compare_digest(str(form.get("seal") or ""), seal(console.key, text, plan)):
            return again(
                409,
                "The catalogue or the file changed since the preview: nothing was "
                "recorded. Here is what importing it would do now.",
            )
        if plan.disables_most() and form.get("yes") != "yes":
            return again(
                422,
                "This import would disable most of the catalogue: tick the box to "
                "go ahead. Nothing was recorded.",
            )
        recorded, disabled = await run(carry_out, ledger, plan)
        done = (
            f"{source}: {len(entries)} services, {recorded} change(s) recorded, "
            f"{disabled} service(s) no longer in the file disabled (by {signed(request).name})"
        )
        return await catalogue_page(request, console, run, done=done)


def preview_page(
    request: Raw,
    console: ConsoleParts,
    source: str,
    text: str,
    entries: int,
    plan: ImportPlan,
    status: int = 200,
    refused: str | None = None,
) -> Template:
    return page(
        request,
        "services_import.html",
        status_code=status,
        source=source,
        carried=base64.b64encode(text.encode()).decode(),
        entries=entries,
        plan=plan,
        items=plan_items(plan),
        changes=len(plan.to_sync) + len(plan.disabled),
        seal=seal(console.key, text, plan),
        refused=refused,
    )


async def catalogue_page(
    request: Raw,
    console: ConsoleParts,
    run: CommandThreads,
    refused: str | None = None,
    status: int = 200,
    done: str | None = None,
) -> Template:
    query = request.query_params
    text = query.get("q", "").strip()
    after = query.get("after", "")
    rows = await run(
        search_services, console.db, text, int(after) if after.isdigit() else 0, PAGE + 1
    )
    more = None
    if len(rows) > PAGE:
        rows = rows[:PAGE]
        kept = {"q": text} if text else {}
        more = f"{PREFIX}/services?{urlencode({**kept, 'after': rows[-1].number})}"
    return page(
        request,
        "services.html",
        status_code=status,
        rows=rows,
        q=text,
        more=more,
        refused=refused,
        done=done,
    )
