"""One error format for every failure: ``{"error": {"code": ..., "message": ..., "details"?: ...}}``.

Core errors map to status codes by class (InvalidInput and its subclasses 422, AlreadyRegistered and
Conflict 409, NotFound 404, PermissionDenied 403); request validation gives 422 with one entry per field in
``details.errors``;
HTTP errors (401, 403, 404, 405, 413, 429) keep their status and headers; anything unexpected is logged and
answered 500 without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from core import errors

log = logging.getLogger(__name__)

STATUS_OF = [(errors.AlreadyRegistered, 409), (errors.Conflict, 409), (errors.NotFound, 404),
             (errors.InvalidInput, 422), (errors.PermissionDenied, 403)]
CODE_OF_STATUS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                  405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "payload_too_large",
                  415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
                  503: "not_ready"}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _status_of(exc: errors.SavePetsError) -> int:
    return next((status for cls, status in STATUS_OF if isinstance(exc, cls)), 400)


def _field_errors(errs: list[dict], prefix: tuple = ()) -> dict:
    items = [{"field": ".".join(str(x) for x in (*prefix, *e["loc"]) if x != "body") or "body",
              "message": e["msg"], "type": e["type"]} for e in errs]
    message = "; ".join(f"{i['field']}: {i['message']}" for i in items) or "Invalid request."
    return {"message": message, "details": {"errors": items}}


async def on_core_error(_request: Request, exc: errors.SavePetsError) -> JSONResponse:
    return JSONResponse({"error": exc.to_dict()}, status_code=_status_of(exc))


async def on_request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(422, "validation_error", **_field_errors(list(exc.errors())))


async def on_model_validation(_request: Request, exc: ValidationError) -> JSONResponse:
    return error_response(422, "validation_error", **_field_errors(exc.errors(include_input=False)))


async def on_http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    code = CODE_OF_STATUS.get(exc.status_code, "error" if exc.status_code < 500 else "server_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on the server; it has been logged.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.SavePetsError, on_core_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(ValidationError, on_model_validation)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No API key, or an unknown or revoked one"},
    403: {"model": ErrorOut, "description": "The key's role may not do this"},
    422: {"model": ErrorOut, "description": "Invalid input; nothing was changed"},
    429: {"model": ErrorOut, "description": "Too many requests for this key; see Retry-After"},
}
