"""Who is asking: FastAPI dependencies that turn a request's token into an actor.

A token comes in an ``Authorization: Bearer <token>`` header (API clients, alert
sources), or, for the web page, in the ``incidentflow_token`` cookie that signing in
sets (HttpOnly, so page scripts cannot read it; SameSite=Strict, so other sites'
pages do not send it; Secure when the request came over HTTPS).

Cookie authentication and CSRF: a write authenticated by the cookie alone must carry
the header ``X-Incidentflow-Request: 1``. A page of another origin cannot send a
custom header without a CORS preflight, which this service never approves (it has no
CORS configuration), and an HTML form cannot set headers at all; so a forged
cross-site request is refused (403 ``csrf``) even by a browser that ignores
SameSite. Requests with a bearer header need nothing more (browsers never add one).

Intake tokens are accepted only in the header and only by intake endpoints; person
tokens only by the others. There is no anonymous access except to ``/openapi.json``,
the sign-in page and static files.
"""

from __future__ import annotations

from fastapi import Request, Response

from incidentflow.serve.tokens import Kind, Principal, TokenFile

COOKIE = "incidentflow_token"
CSRF_HEADER = "X-Incidentflow-Request"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiError(Exception):
    """An answer other than success: ``status``, a stable ``code`` and a ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(message)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "the Authorization header must be 'Bearer TOKEN'")
    return token.strip()


def _tokens(request: Request) -> TokenFile:
    tokens: TokenFile = request.app.state.tokens
    return tokens


def _principal(request: Request, kind: Kind) -> Principal:
    token = _bearer(request)
    from_cookie = token is None and kind == "person"
    if from_cookie:
        token = request.cookies.get(COOKIE)
    if not token:
        raise ApiError(401, "unauthenticated", "a token is needed: 'Authorization: Bearer TOKEN'")
    found = _tokens(request).authenticate(token)
    if found is None:
        raise ApiError(401, "unauthenticated", "this token is not valid (unknown or revoked)")
    if found.kind != kind:
        raise ApiError(
            403,
            "wrong_token_kind",
            f"an {found.kind} token cannot be used here: this needs a {kind} token",
        )
    if (
        from_cookie
        and request.method not in _SAFE_METHODS
        and request.headers.get(CSRF_HEADER) != "1"
    ):
        raise ApiError(
            403, "csrf", f"a write signed in by cookie must carry the header {CSRF_HEADER}: 1"
        )
    return found


async def person(request: Request) -> str:
    """The name of the person whose token (header or cookie) came with the request: the
    actor of whatever the request writes."""
    return _principal(request, "person").name


async def intake_source(request: Request) -> str:
    """The name of the alert source whose intake token (header only) came with the
    request."""
    return _principal(request, "intake").name


def signed_in(request: Request) -> str | None:
    """The person signed in by cookie, or None (the pages redirect to sign-in)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = _tokens(request).authenticate(token)
    return found.name if found is not None and found.kind == "person" else None


def with_cookie(response: Response, request: Request, token: str) -> Response:
    """``response``, signing the browser in with ``token``: HttpOnly, SameSite=Strict,
    Secure when the request came over HTTPS."""
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response
