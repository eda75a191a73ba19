"""Map failures to responses a person can act on."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ioc.intake import IntakeRefused
from ioc.kafka import BrokerUnavailable
from ioc.lifecycle import InvalidTransition

logger = logging.getLogger(__name__)


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form")]
    return ".".join(parts) or "request"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        errors = [{"field": _field(e["loc"]), "value": e.get("input"), "message": e["msg"]}
                  for e in exc.errors()]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(status_code=422, content={"detail": summary, "errors": errors},
                            media_type="application/json")

    @app.exception_handler(IntakeRefused)
    async def _refused(_request: Request, exc: IntakeRefused):
        return JSONResponse(status_code=422, content={"detail": str(exc), "field": exc.field})

    @app.exception_handler(InvalidTransition)
    async def _invalid_transition(_request: Request, exc: InvalidTransition):
        return JSONResponse(status_code=409, content={"detail": str(exc)})

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
