"""The HTTP API (contract §4): :func:`create_app` builds a FastAPI app around one :class:`Service`.

Every route but ``GET /healthz`` depends on a :class:`Guard` naming the roles it admits, so the
roles of the whole API can be read off the app (the tests walk ``app.routes`` and fail on a route
without one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from distillguard.errors import DistillguardError, InputError
from distillguard.schema import rfc3339
from distillguard.service.auth import ApiKeys, Principal, Role
from distillguard.service.core import Service
from distillguard.service.settings import ServiceSettings

log = logging.getLogger("distillguard.service")

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json", "text/plain", "")


class Guard:
    """A FastAPI dependency: the request's Bearer key must belong to one of ``roles`` (or admin).
    Answers 401 without a known key and 403 with a key of another role."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, request: Request) -> Principal:
        # async: FastAPI runs it on the event loop; a sync dependency would cost every request a
        # hop through the thread pool, which decision latency cannot afford.
        keys: ApiKeys = request.app.state.api_keys
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        principal = keys.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if principal is None:
            raise HTTPException(
                401, "missing or unknown API key", headers={"WWW-Authenticate": "Bearer"}
            )
        if not principal.may(self.roles):
            allowed = " or ".join(sorted(r.value for r in self.roles | {Role.ADMIN}))
            raise HTTPException(403, f"this endpoint needs a key with role {allowed}")
        return principal

    def __repr__(self) -> str:
        return f"Guard({', '.join(sorted(r.value for r in self.roles))})"


def require(*roles: Role) -> Any:
    """``Depends`` on a :class:`Guard` for ``roles``: use in routes that other modules add."""
    return Depends(Guard(*roles))


@dataclass(frozen=True)
class RouteAccess:
    """One method+path of an app and the roles its Guard admits (None: no Guard at all)."""

    method: str
    path: str
    roles: frozenset[Role] | None


def route_access(app: FastAPI) -> list[RouteAccess]:
    """Every API route of ``app`` (routers included with a prefix too) with its Guard's roles,
    from the route's own dependencies or those of the router include that added it."""
    out: list[RouteAccess] = []

    def guards(deps: list[Any]) -> list[Guard]:
        return [d.dependency for d in deps if isinstance(getattr(d, "dependency", None), Guard)]

    def walk(routes: list[Any], prefix: str, inherited: list[Guard]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                own = [d.call for d in route.dependant.dependencies if isinstance(d.call, Guard)]
                found = own or inherited
                roles = frozenset().union(*(g.roles for g in found)) if found else None
                out.extend(
                    RouteAccess(m, prefix + route.path, roles) for m in sorted(route.methods or ())
                )
            elif hasattr(route, "original_router"):
                ctx = getattr(route, "include_context", None)
                walk(
                    list(route.original_router.routes),
                    prefix + str(getattr(ctx, "prefix", "") or ""),
                    inherited + guards(list(getattr(ctx, "dependencies", []) or [])),
                )

    walk(list(app.routes), "", [])
    return out


INGEST = Guard(Role.INGEST)
ANALYST = Guard(Role.ANALYST)
ADMIN = Guard(Role.ADMIN)
DECIDE = Guard(Role.INGEST, Role.ANALYST)


def service_of(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


class ActionBody(BaseModel):
    """``POST /v1/campaigns/{id}/actions``: what to do, an optional note, and for ``dismiss`` an
    optional target (one account or one indicator) instead of the whole campaign; for ``assign``
    the assignee."""

    action: str
    note: str | None = Field(default=None, max_length=10_000)
    account_id: str | None = None
    indicator: dict[str, str] | None = None
    assignee: str | None = None


router = APIRouter()


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    svc = service_of(request)
    return {"status": "ok", "last_detection": (svc.last_run or {}).get("run_id")}


async def _ingest(request: Request, fmt: str, endpoint: str) -> dict[str, int]:
    svc = service_of(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if fmt == "jsonl" and ctype not in NDJSON_TYPES:
        raise HTTPException(415, "send JSON Lines (Content-Type: application/x-ndjson)")
    if fmt == "otel" and ctype not in ("application/json", ""):
        raise HTTPException(415, "send OTLP/HTTP JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length")
    limit = svc.settings.max_body_bytes
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body over {limit} bytes: send smaller batches")
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, f"body over {limit} bytes: send smaller batches")
    try:
        from distillguard.service.writer import decode_body

        raw = decode_body(body, request.headers.get("content-encoding"))
        result = await run_in_threadpool(svc.ingest, raw, fmt, endpoint)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from exc
    return result.answer()


@router.post("/v1/exchanges", dependencies=[Depends(INGEST)])
async def post_exchanges(request: Request) -> dict[str, int]:
    """Schema v1 rows as JSON Lines; answered once durable."""
    return await _ingest(request, "jsonl", "exchanges")


@router.post("/v1/traces", dependencies=[Depends(INGEST)])
async def post_traces(request: Request) -> dict[str, Any]:
    """OTLP/HTTP JSON (an ExportTraceServiceRequest of OpenTelemetry GenAI spans)."""
    answer: dict[str, Any] = dict(await _ingest(request, "otel", "traces"))
    if answer["quarantined"]:
        answer["partialSuccess"] = {
            "rejectedSpans": answer["quarantined"],
            "errorMessage": "spans that break the request schema were quarantined",
        }
    return answer


@router.post("/v1/detect", dependencies=[Depends(ANALYST)])
async def post_detect(request: Request) -> dict[str, Any]:
    """Run detection over the current window now."""
    svc = service_of(request)
    try:
        return await run_in_threadpool(svc.run_detection)
    except DistillguardError as exc:
        raise HTTPException(400, str(exc)) from exc


@router.get("/v1/campaigns", dependencies=[Depends(ANALYST)])
async def get_campaigns(request: Request) -> dict[str, Any]:
    svc = service_of(request)
    return {"campaigns": svc.campaigns(), "last_run": svc.last_run}


@router.get("/v1/campaigns/{campaign_id}", dependencies=[Depends(ANALYST)])
async def get_campaign(campaign_id: str, request: Request) -> dict[str, Any]:
    doc = service_of(request).campaign(campaign_id)
    if doc is None:
        raise HTTPException(404, f"no campaign {campaign_id}")
    return doc


@router.get("/v1/campaigns/{campaign_id}/examples", dependencies=[Depends(ANALYST)])
async def get_examples(
    campaign_id: str, request: Request, limit: int = 10, text_chars: int = 500
) -> dict[str, Any]:
    """Example exchanges of a campaign (text cut to ``text_chars``; 0 for none)."""
    svc = service_of(request)
    limit = max(1, min(limit, 100))
    text_chars = max(0, min(text_chars, 5000))
    try:
        rows = await run_in_threadpool(svc.examples, campaign_id, limit, text_chars)
    except KeyError:
        raise HTTPException(404, f"no campaign {campaign_id}") from None
    return {"campaign_id": campaign_id, "examples": rows}


@router.post("/v1/campaigns/{campaign_id}/actions")
async def post_action(
    campaign_id: str,
    body: ActionBody,
    request: Request,
    principal: Annotated[Principal, Depends(ANALYST)],
) -> dict[str, Any]:
    """Confirm, dismiss (the campaign, or one account / indicator of it), block, assign, comment."""
    svc = service_of(request)
    target: dict[str, Any] | None = None
    if body.account_id is not None:
        target = {"account_id": body.account_id}
    elif body.indicator is not None:
        if set(body.indicator) != {"kind", "value"}:
            raise HTTPException(422, 'indicator must be {"kind": ..., "value": ...}')
        target = {"indicator": dict(body.indicator)}
    elif body.assignee is not None:
        target = {"assignee": body.assignee}
    try:
        entry = await run_in_threadpool(
            svc.act, campaign_id, body.action, principal, body.note, target
        )
    except KeyError:
        raise HTTPException(404, f"no campaign {campaign_id}") from None
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc
    return {"audit": entry.to_json(), "campaign": svc.campaign(campaign_id)}


# ``:path``: an account id may contain "/" (gateway user ids such as "team/alice").
@router.get("/v1/accounts/{account_id:path}/decision", dependencies=[Depends(DECIDE)])
async def get_decision(account_id: str, request: Request) -> JSONResponse:
    """allow | review | throttle | block, from the in-memory snapshot (no validation pass:
    the answer is built from a frozen dataclass)."""
    return JSONResponse(service_of(request).decision(account_id).to_json())


@router.get("/v1/accounts/{account_id:path}", dependencies=[Depends(ANALYST)])
async def get_account(account_id: str, request: Request) -> dict[str, Any]:
    """Live aggregates of one account: ``live`` (exchanges, first/last seen; current to the last
    acknowledged body), ``profile`` (the detector's mergeable account features as of the last
    background fold, or null) and its decision."""
    svc = service_of(request)
    return {
        "account_id": account_id,
        "live": _jsonable(svc.live.get(account_id)),
        "profile": _jsonable(svc.profiles.features(account_id)),
        "decision": svc.decision(account_id).to_json(),
    }


def _jsonable(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """Times as RFC 3339 text, NaN as null (JSON has no NaN)."""
    if row is None:
        return None
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, datetime):
            v = rfc3339(v.astimezone(UTC))
        elif isinstance(v, float) and math.isnan(v):
            v = None
        out[k] = v
    return out


@router.get("/metrics", dependencies=[Depends(ADMIN)])
async def get_metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(service_of(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)


async def _schedule(svc: Service) -> None:
    """Start a detection run every ``detect_interval`` seconds when new exchanges arrived.

    Runs start on a fixed cadence (``interval`` after the previous start, not after its end),
    so a run's own duration does not stretch the period: evidence that arrives just after a
    run starts is decided at most one interval plus one run later. A run that overruns the
    interval is followed at once by the next (never by a burst of catch-up runs)."""
    interval = svc.settings.detect_interval
    loop = asyncio.get_running_loop()
    due = loop.time() + interval
    while True:
        await asyncio.sleep(max(0.0, due - loop.time()))
        due = max(due + interval, loop.time())
        if svc.ingested_since_run <= 0:
            continue
        try:
            await asyncio.to_thread(svc.run_detection)
        except Exception:
            log.exception("scheduled detection failed")


async def _fold(svc: Service) -> None:
    """Fold new exchanges into the live per-account state every ``state_interval`` seconds
    (the first fold, at start-up, covers the whole workspace)."""
    while True:
        try:
            await asyncio.to_thread(svc.fold_state)
        except Exception:
            log.exception("folding the live account state failed")
        await asyncio.sleep(svc.settings.state_interval)


def create_app(settings: ServiceSettings, service: Service | None = None) -> FastAPI:
    """The service's FastAPI app. The :class:`Service` (``app.state.service``) is opened when the
    app starts (lifespan) and closed when it stops, unless one is passed in ``service``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = service or Service(settings)
        app.state.service = svc
        svc.notifier.start()
        tasks = []
        if settings.detect_interval > 0:
            tasks.append(asyncio.create_task(_schedule(svc)))
        if settings.state_interval > 0:
            tasks.append(asyncio.create_task(_fold(svc)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if service is None:
                svc.close()

    app = FastAPI(
        title="distillguard",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.service = service
    app.state.api_keys = settings.api_keys
    app.state.settings = settings
    app.include_router(router)
    from distillguard.service import caseview  # the case view and gateway plug-ins (their module)

    caseview.mount(app)

    @app.exception_handler(DistillguardError)
    async def _dg_error(_: Request, exc: DistillguardError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    return app
