"""The camera wall's tiles: a camera's newest annotated frame, its name and status pill, the road
users it saw in its newest traffic window (two-wheelers, cars, buses and trucks, people), its
congestion index as a bar with the KPIs' thresholds, and a badge for its open alarms. Pure:
what a tile shows is a function of the API's answer.

Status is colour plus icon plus word. The camera's status (live, stale, offline) is the API's
(ioc/api/routes/cameras.py), the congestion words the KPIs' (ioc.kpis.congestion_level).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from dash import dcc, html

from dashboard.components import status_pill
from dashboard.display import decimal, local_time
from dashboard.i18n import t
from dashboard.pages.control.alarms_panel import type_label
from ioc import kpis, road_users
from ioc.api.models import CameraStatus, CameraTraffic
from ioc.status import is_online

# Class groups as a traffic engineer reads them, in the colours the annotated frames draw
# their boxes in (one place for both: ioc/road_users.py).
GROUPS = road_users.GROUPS
GROUP_COLORS = {group: road_users.hex_colour(group) for group in GROUPS}
STATES = ("live", "stale", "offline")
STATUS_LOOK = {"live": "ok", "stale": "warning", "offline": "offline"}  # display.STATUS keys
LEVEL_LOOK = {"free": "ok", "busy": "warning", "congested": "alarm"}


def status_of(camera: CameraStatus, now: datetime | None, stale_after: timedelta) -> str:
    """The API's status; for an older API that sends none, live/offline by the rule the
    cameras-online KPI uses (ioc.status.is_online)."""
    if camera.status is not None:
        return camera.status
    return "live" if now is not None and is_online(camera.ts, now, stale_after) else "offline"


def status_word(status: str, lang: str) -> str:
    return t(f"cameras.status.{status}", lang)


def camera_pill(status: str, lang: str) -> html.Span:
    return status_pill(STATUS_LOOK.get(status, "unknown"), lang, status_word(status, lang))


def group_counts(counts: dict[str, int]) -> dict[str, int]:
    """Road users per group from the counts per class (classes outside the groups: none)."""
    return {group: sum(counts.get(cls, 0) for cls in members)
            for group, members in GROUPS.items()}


def crossings_total(crossings: dict[str, int]) -> tuple[int, int]:
    """(in, out) over every class, from the flattened {"motorcycle_in": 3, …}."""
    return (sum(n for k, n in crossings.items() if k.endswith("_in")),
            sum(n for k, n in crossings.items() if k.endswith("_out")))


def counts_row(traffic: CameraTraffic | None, lang: str) -> html.Div:
    groups = group_counts(traffic.counts) if traffic else dict.fromkeys(GROUPS)
    return html.Div([
        html.Div([html.Span("—" if n is None else str(n), className="cam-count-n",
                            style={"color": GROUP_COLORS[group]}),
                  html.Span(t(f"cameras.group.{group}", lang), className="cam-count-label")],
                 className="cam-count", **{"data-group": group,
                                            "data-count": "" if n is None else str(n)})
        for group, n in groups.items()], className="cam-counts")


def congestion_bar(traffic: CameraTraffic | None, lang: str) -> html.Div:
    """The index as a bar, with marks where busy (0.4) and congested (0.7) start, and in words."""
    if traffic is None:
        return html.Div(t("cameras.no_traffic", lang), className="cam-congestion muted",
                        **{"data-level": ""})
    level = kpis.congestion_level(traffic.congestion_index)
    look = LEVEL_LOOK[level]
    return html.Div([
        html.Span(t("cameras.congestion", lang), className="cam-congestion-label"),
        html.Div([
            html.Div(className=f"cam-bar-fill bg-{look}",
                     style={"width": f"{100 * min(1.0, traffic.congestion_index):.0f}%"}),
            html.Div(className="cam-bar-mark", style={"left": f"{100 * kpis.BUSY:.0f}%"}),
            html.Div(className="cam-bar-mark", style={"left": f"{100 * kpis.CONGESTED:.0f}%"}),
        ], className="cam-bar", role="img",
            **{"aria-label": f"{t('cameras.congestion', lang)} "
                             f"{decimal(traffic.congestion_index, 2, lang)}"}),
        html.Span([t(f"cameras.level.{level}", lang), " ",
                   html.B(decimal(traffic.congestion_index, 2, lang))],
                  className=f"cam-level status-{look}"),
    ], className="cam-congestion", **{"data-level": level})


def window_words(traffic: CameraTraffic | None, tz: str, lang: str) -> str:
    if traffic is None:
        return ""
    return t("cameras.window", lang, start=local_time(traffic.window_start, tz),
             end=local_time(traffic.ts, tz))


def alarms_badge(camera: CameraStatus, lang: str) -> html.Span | None:
    if not camera.open_alarms:
        return None
    kinds = ", ".join(type_label(k, lang) for k in camera.open_alarm_types)
    return html.Span(["⚠ ", t("cameras.alarms.open", lang, n=camera.open_alarms)],
                     className="cam-alarms", title=kinds, **{"data-open": camera.open_alarms})


def tile(camera: CameraStatus, status: str, lang: str, tz: str, *, href: str,
         frame_src: str | None, ward_name: Callable[[str | None, str], str | None],
         selected: bool = False) -> html.Div:
    """One camera's tile; the whole tile opens its detail view (`href`)."""
    name = camera.name or camera.camera_id
    frame = [html.Img(src=frame_src, alt=name, className="cam-img")] if frame_src \
        else [html.Div(t("cameras.no_frame", lang), className="cam-noframe")]
    if camera.ts is not None:
        frame.append(html.Span(local_time(camera.ts, tz), className="cam-frame-time"))
    badge = alarms_badge(camera, lang)
    if badge is not None:
        frame.append(badge)
    where = " · ".join(x for x in (camera.camera_id, ward_name(camera.ward, lang)) if x)
    return html.Div(dcc.Link([
        html.Div(frame, className="cam-frame"),
        html.Div([
            html.Div([html.Span(name, className="cam-name", title=name),
                      camera_pill(status, lang)], className="cam-title"),
            html.Div([html.Span(where), html.Span(window_words(camera.traffic, tz, lang))],
                     className="cam-sub muted"),
            counts_row(camera.traffic, lang),
            congestion_bar(camera.traffic, lang),
        ], className="cam-info"),
    ], href=href, className="cam-link", title=t("cameras.open", lang)),
        className=f"camera-card cam-tile cam-{status}" + (" selected" if selected else ""),
        **{"data-camera-id": camera.camera_id, "data-status": status})


def online_count(statuses: Iterable[str], lang: str) -> str:
    """'3 / 4 online': live cameras of all (the cameras-online KPI's share, as counts)."""
    statuses = list(statuses)
    return f"{statuses.count('live')} / {len(statuses)} {t('cameras.online', lang).lower()}"
