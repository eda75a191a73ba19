"""Open311 routes answer every failure in the spec's error format, with 400/403/404.

The app's own handlers (`ioc.api.errors`) still decide the status and the wording, so both doors
say the same thing; this route class only re-dresses their answer as `{code, description}` in
the requested format. Other routes keep the app's format.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute

from ioc.api.open311 import formats

_KEPT_HEADERS = ("retry-after", "www-authenticate")


def _handler_for(app: FastAPI, exc: Exception) -> Callable | None:
    for cls in type(exc).__mro__:
        if cls in app.exception_handlers:
            return app.exception_handlers[cls]
    return None


def _redress(request: Request, answer: Response) -> Response:
    # Open311 clients know 400, not 422, for a request they must correct.
    status = 400 if answer.status_code == 422 else answer.status_code
    try:
        detail = json.loads(answer.body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False) if detail else "request failed"
    headers = {k: v for k, v in answer.headers.items() if k in _KEPT_HEADERS}
    return formats.errors(formats.format_of(request), status, detail, headers)


class Open311Route(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_in_open311_format(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as exc:
                handler = _handler_for(request.app, exc)
                if handler is None:
                    raise
                answer = handler(request, exc)
                if inspect.isawaitable(answer):
                    answer = await answer
                return _redress(request, answer)

        return handle_in_open311_format
