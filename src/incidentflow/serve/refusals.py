"""What the HTTP API answers when the engine (or the request) refuses: a status and a
JSON body ``{"error": {"code": ..., "message": ..., ...}}``.

``code`` is a stable word a client may branch on; ``message`` is the engine's own
message. The engine writes nothing when it raises, so a refusal never leaves anything
half-done. Only the exception's data is shown, never a traceback.

=======================  ======  ==========================  =========================
exception                status  code                        extra fields
=======================  ======  ==========================  =========================
NotAuthorized            403     ``not_authorized``          ``allowed_roles``
TransitionNotAllowed     403     ``not_authorized``          (reason ``role``)
TransitionNotAllowed     409     ``transition_not_allowed``  ``reason``, ``missing``
OperationRefused         409     ``refused``                 ``reason`` (closed, policy)
ConcurrencyError         409     ``stale_version``           ``expected``, ``actual``
InvalidArgument          422     ``invalid_argument``        ``argument``
InvalidOperation         422     ``invalid_operation``
UnknownIncident          404     ``unknown_incident``
UnknownProcess           404     ``unknown_process``         ``known``
StoreError               503     ``store_unavailable``
IntakeError              400     ``bad_payload``             ``source``, ``where``
=======================  ======  ==========================  =========================

The service adds its own: 401 ``unauthenticated`` (no token, or one nobody holds),
403 ``wrong_token_kind`` (an intake token on a person's endpoint, or the reverse),
403 ``csrf`` (a cookie-authenticated write without the service's header), 422
``invalid_request`` (a body or parameter of the wrong shape), 404 ``unknown_intake``,
and 500 ``internal_error`` (logged by the service, never detailed to the client).
"""

from __future__ import annotations

from typing import Any

from incidentflow.errors import (
    ConcurrencyError,
    IntakeError,
    InvalidArgument,
    InvalidOperation,
    NotAuthorized,
    OperationRefused,
    StoreError,
    TransitionNotAllowed,
    UnknownIncident,
    UnknownProcess,
)


def body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of an error answer."""
    return {"error": {"code": code, "message": message, **extra}}


def refusal(error: Exception) -> tuple[int, dict[str, Any]] | None:
    """The status and body for an engine or store exception; None for anything else
    (a bug: the service answers 500 and logs it)."""
    message = str(error)
    if isinstance(error, NotAuthorized):
        return 403, body("not_authorized", message, allowed_roles=list(error.allowed_roles))
    if isinstance(error, TransitionNotAllowed):
        if error.reason == "role":
            return 403, body("not_authorized", message, reason=error.reason)
        return 409, body(
            "transition_not_allowed", message, reason=error.reason, missing=list(error.missing)
        )
    if isinstance(error, OperationRefused):
        return 409, body("refused", message, reason=error.reason)
    if isinstance(error, ConcurrencyError):
        return 409, body("stale_version", message, expected=error.expected, actual=error.actual)
    if isinstance(error, InvalidArgument):
        return 422, body("invalid_argument", message, argument=error.argument)
    if isinstance(error, InvalidOperation):
        return 422, body("invalid_operation", message)
    if isinstance(error, UnknownIncident):
        return 404, body("unknown_incident", message)
    if isinstance(error, UnknownProcess):
        return 404, body("unknown_process", message, known=list(error.known))
    if isinstance(error, IntakeError):
        return 400, body("bad_payload", message, source=error.source, where=error.where)
    if isinstance(error, StoreError):
        return 503, body("store_unavailable", message)
    return None
