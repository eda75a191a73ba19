"""Map failures to responses a person can act on."""

from __future__ import annotations

import logging
import math
import re

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ioc.intake import IntakeRefused
from ioc.kafka import BrokerUnavailable
from ioc.lifecycle import InvalidTransition

logger = logging.getLogger(__name__)


_SURROGATES = re.compile("[\ud800-\udfff]")
MAX_ECHOED = 200  # characters of a refused value sent back, enough to recognise it


def _clean(text: str) -> str:
    """Text fit for a UTF-8 answer: a lone surrogate (JSON allows "\\ud800") cannot be encoded."""
    return _SURROGATES.sub("\ufffd", text)


def _field(loc) -> str:
    if tuple(loc) == ("body",):
        return "body"
    parts = [_clean(str(p)) for p in loc if p not in ("body", "query", "path", "form")]
    return ".".join(parts) or "request"


def _echoed(value):
    """A refused scalar, as JSON can carry it; whole bodies, bytes and NaN are not echoed."""
    if isinstance(value, str):
        return _clean(value[:MAX_ECHOED])
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    return None


def _error(e: dict, body) -> dict:
    if e["type"] == "json_invalid":  # loc is ("body", offset); the body is the document
        offset, doc = e["loc"][1], body if isinstance(body, str) else ""
        line, column = doc.count("\n", 0, offset) + 1, offset - doc.rfind("\n", 0, offset)
        return {"field": "body", "value": None, "message": f"is not valid JSON (line {line}, "
                f"column {column}: {e.get('ctx', {}).get('error', 'decode error')})"}
    if isinstance(e.get("input"), bytes):  # a body not sent as JSON arrives as raw bytes
        return {"field": "body", "value": None,
                "message": "send the body as JSON (Content-Type: application/json)"}
    message = ("is not valid Unicode (it holds a lone surrogate such as \\ud800); send UTF-8 "
               "text" if e["type"] == "string_unicode" else _clean(e["msg"]))
    return {"field": _field(e["loc"]), "value": _echoed(e.get("input")), "message": message}


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        errors = [_error(e, exc.body) for e in exc.errors()]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(status_code=422, content={"detail": summary, "errors": errors},
                            media_type="application/json")

    @app.exception_handler(IntakeRefused)
    async def _refused(_request: Request, exc: IntakeRefused):
        return JSONResponse(status_code=422, content={"detail": str(exc), "field": exc.field})

    @app.exception_handler(InvalidTransition)
    async def _invalid_transition(_request: Request, exc: InvalidTransition):
        body = {"detail": str(exc)}
        if exc.status is not None:  # the state that refused it, for a client to say in its words
            body["status"] = exc.status.value
        return JSONResponse(status_code=409, content=body)

    @app.exception_handler(BrokerUnavailable)
    async def _broker_down(_request: Request, exc: BrokerUnavailable):
        logger.error("broker unavailable", extra={"error": str(exc)})
        return JSONResponse(status_code=503, headers={"Retry-After": "10"}, content={
            "detail": "the report could not be queued (the message broker is unavailable); "
                      "nothing was stored, please retry in a few seconds"})

    @app.exception_handler(sa.exc.OperationalError)
    async def _db_down(_request: Request, exc: sa.exc.OperationalError):
        logger.error("database unavailable", extra={"error": str(exc.orig)[:200]})
        return JSONResponse(status_code=503, content={
            "detail": "the database is unavailable; see /health for what is down"})
