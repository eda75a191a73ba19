"""The page: the alert banner over the header, then the queue, the open report and the side
(map and KPIs). Each part brings its own timers and stores; the one they share is here."""

from __future__ import annotations

from dash import dcc, html

from dashboard.i18n import DEFAULT_LANG, LANGS
from dashboard.pages.control import alerts, detail, queue_panel, side


def layout(lang: str | None = None, **query) -> html.Div:
    lang = lang if lang in LANGS else DEFAULT_LANG
    return html.Div([
        *alerts.banner(lang),
        html.Div([queue_panel.panel(lang, query), detail.panel(lang), side.panel(lang)],
                 className="control-grid"),
        # The open report's id: chosen in the queue or the banner, shown by the detail.
        dcc.Store(id="queue-selected", storage_type="session"),
    ], className="page page-control")
