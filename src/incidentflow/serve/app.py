"""The ASGI application of ``incidentflow serve``: :func:`create_app`.

A host can mount it in its own ASGI server too::

    app = create_app(engine, TokenFile("tokens.json"), intakes={"alertmanager": fn})

What it serves: the JSON API under ``/api`` (:mod:`~incidentflow.serve.api`), its
OpenAPI description at ``/openapi.json``, the web page (:mod:`~incidentflow.serve.pages`),
``/static`` and the Mermaid it found (:mod:`~incidentflow.serve.assets`), and ``/healthz``.

FastAPI's interactive ``/docs`` and ``/redoc`` pages are **turned off**: they load
Swagger UI and ReDoc from a CDN (cdn.jsdelivr.net), which a machine without internet
cannot reach and which we do not want a page of this service to depend on. Point any
OpenAPI viewer at ``/openapi.json`` instead.

Engine calls run on an :class:`~incidentflow.serve.lane.EngineLane` (first come,
first served), never on the event loop. With ``worker``, the store's worker loop (:class:`~incidentflow.engine.worker.Worker`:
due timers and planned actions) runs in a thread for as long as the application runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from incidentflow._version import __version__
from incidentflow.engine.engine import Engine
from incidentflow.engine.worker import Worker
from incidentflow.errors import IncidentflowError
from incidentflow.serve import refusals
from incidentflow.serve.api import api_router
from incidentflow.serve.assets import STATIC
from incidentflow.serve.auth import COOKIE, ApiError, person, with_cookie
from incidentflow.serve.intake import IntakeFunction, default_intakes
from incidentflow.serve.lane import EngineLane
from incidentflow.serve.pages import pages_router
from incidentflow.serve.tokens import TokenFile

LOGGER = logging.getLogger("incidentflow.serve")
MERMAID_PATH = "/assets/mermaid.min.js"
_SECURITY_HEADERS = {
    # scripts only from this service (Mermaid draws with inline styles, hence style-src)
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" would send "Origin: null"
}


def create_app(
    engine: Engine,
    tokens: TokenFile,
    *,
    intakes: Mapping[str, IntakeFunction] | None = None,
    mermaid: Path | None = None,
    worker: Worker | None = None,
) -> FastAPI:
    """The service for ``engine``, its people and alert sources in ``tokens``.

    ``intakes``: intake functions by source name, added to (or replacing) the built-in
    ``signal``. ``mermaid``: the ``mermaid.min.js`` to serve (None: the page shows the
    flowchart's text). ``worker``: run its loop in a thread while the app runs.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = None
        if worker is not None:
            thread = threading.Thread(
                target=_run_worker, args=(worker, stop), name="incidentflow-worker", daemon=True
            )
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join()
            app.state.lane.close()

    app = FastAPI(
        title="incidentflow",
        version=__version__,
        summary="Run incidents through their process: the JSON API of `incidentflow serve`.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.lane = EngineLane(engine)
    app.state.tokens = tokens
    app.state.intakes = default_intakes(engine) | dict(intakes or {})
    app.state.mermaid = mermaid
    app.include_router(api_router())
    app.include_router(pages_router())
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _session_routes(app)
    _error_handlers(app)

    @app.get(MERMAID_PATH, include_in_schema=False)
    def mermaid_js() -> Response:
        if mermaid is None:
            return JSONResponse(refusals.body("not_found", "no Mermaid is served"), 404)
        return FileResponse(mermaid, media_type="text/javascript")

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """Liveness for a load balancer: answers without a token or the store."""
        return {"status": "ok"}

    app.add_middleware(_SecurityHeaders)
    return app


class _SecurityHeaders:
    """Adds :data:`_SECURITY_HEADERS` to every answer (a plain ASGI middleware: Starlette's
    ``BaseHTTPMiddleware``, behind ``@app.middleware``, costs more per request than the
    rest of a read)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(
                        (k.lower().encode(), v.encode())
                        for k, v in _SECURITY_HEADERS.items()
                        if k.lower().encode() not in present
                    ),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def _run_worker(worker: Worker, stop: threading.Event) -> None:
    try:
        worker.run(stop)
    except Exception:  # the store stayed down past give_up_after: the API keeps answering
        LOGGER.exception("worker %s stopped; timers and actions wait for another", worker.worker_id)


def _session_routes(app: FastAPI) -> None:
    """Signing in and out of the web page (the cookie of :mod:`~incidentflow.serve.auth`)."""

    @app.post("/api/session", tags=["people"], status_code=204)
    async def sign_in(request: Request) -> Response:
        """Sign the web page in: send the token as 'Authorization: Bearer'; the answer
        sets it in an HttpOnly, SameSite=Strict cookie."""
        await person(request)  # refuses a missing, unknown or intake token
        token = request.headers.get("authorization", "").partition(" ")[2].strip()
        return with_cookie(Response(status_code=204), request, token)

    @app.delete("/api/session", tags=["people"], status_code=204)
    async def sign_out(request: Request) -> Response:
        """Sign the web page out (clears the cookie)."""
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response


def _error_handlers(app: FastAPI) -> None:
    """Every refusal as ``{"error": {...}}`` with its status; never a traceback."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse(refusals.body(error.code, error.message), error.status, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in error.errors()
        ]
        message = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        return JSONResponse(
            refusals.body("invalid_request", message, problems=problems), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(
            refusals.body(code, str(error.detail)), error.status_code, error.headers
        )

    @app.exception_handler(IncidentflowError)
    async def engine_error(request: Request, error: IncidentflowError) -> Response:
        answer = refusals.refusal(error)
        if answer is None:
            return _internal(request, error)
        status, content = answer
        return JSONResponse(content, status)

    @app.exception_handler(Exception)
    async def anything_else(request: Request, error: Exception) -> Response:
        return _internal(request, error)


def _internal(request: Request, error: Exception) -> Response:
    """A bug or an unforeseen failure: logged here, never detailed to the client."""
    LOGGER.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return JSONResponse(refusals.body("internal_error", "the service failed; see its log"), 500)
