"""The cameras' images, proxied through the dashboard so the browser needs to reach only the
dashboard (in a deployment the API may sit on an internal network, e.g. http://api:8000):

- `/camera-frame/<camera>.jpg?seq=N`: the newest frame annotated with its detections and count
  line (`seq` only busts the browser's cache: a new frame is a new URL);
- `/camera-snapshot/<camera>.jpg?seq=N`: the newest frame as it was sent;
- `/camera-evidence/<uuid>.jpg`: an incident's snapshot, the one its alarm's evidence_ref names.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import quote

import httpx
from dash import Dash
from flask import Response, abort

from dashboard.api import ApiUnavailable
from dashboard.context import Context

EVIDENCE_REF = re.compile(r"/api/snapshots/([0-9a-fA-F-]{36})\.jpg")
EVIDENCE_MAX_AGE_S = 86400  # a snapshot never changes


def frame_path(app: Dash, camera_id: str, seq: object) -> str:
    return app.get_relative_path(f"/camera-frame/{quote(camera_id, safe='')}.jpg?seq={seq}")


def snapshot_path(app: Dash, camera_id: str, seq: object) -> str:
    return app.get_relative_path(f"/camera-snapshot/{quote(camera_id, safe='')}.jpg?seq={seq}")


def snapshot_id(evidence_ref: str | None) -> uuid.UUID | None:
    """The snapshot an alarm's evidence_ref names ("/api/snapshots/<uuid>.jpg"); None for
    anything else, which is then not shown (a ref is data: never made into a URL as it is)."""
    match = EVIDENCE_REF.fullmatch(evidence_ref or "")
    if match is None:
        return None
    try:
        return uuid.UUID(match.group(1))
    except ValueError:
        return None


def evidence_path(app: Dash, evidence_ref: str | None) -> str | None:
    found = snapshot_id(evidence_ref)
    return app.get_relative_path(f"/camera-evidence/{found}.jpg") if found else None


def evidence_paths(app: Dash) -> Callable[[str | None], str | None]:
    """evidence_ref -> the dashboard's URL of its snapshot (None: nothing to show)."""
    return lambda ref: evidence_path(app, ref)


def _jpeg(fetch: Callable[[], httpx.Response], cache: str) -> Response:
    try:
        upstream = fetch()
    except ApiUnavailable:
        abort(502)
    if upstream.status_code != 200:
        abort(404 if upstream.status_code in (404, 422) else 502)
    return Response(upstream.content, mimetype="image/jpeg", headers={"Cache-Control": cache})


def register(app: Dash, ctx: Context) -> None:
    @app.server.route("/camera-frame/<camera_id>.jpg")
    def camera_frame(camera_id: str):
        return _jpeg(lambda: ctx.api.camera_frame(camera_id), "no-store")

    @app.server.route("/camera-snapshot/<camera_id>.jpg")
    def camera_snapshot(camera_id: str):
        return _jpeg(lambda: ctx.api.snapshot(camera_id), "no-store")

    @app.server.route("/camera-evidence/<snapshot>.jpg")
    def camera_evidence(snapshot: str):
        try:
            found = uuid.UUID(snapshot)
        except ValueError:
            abort(404)
        return _jpeg(lambda: ctx.api.evidence(str(found)), f"max-age={EVIDENCE_MAX_AGE_S}")
