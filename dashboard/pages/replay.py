"""/replay: a placeholder until the record-and-replay feature exists; it shows no data."""

from __future__ import annotations

from dash import Dash, html

from dashboard.context import Context
from dashboard.i18n import DEFAULT_LANG, LANGS, t


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang if lang in LANGS else DEFAULT_LANG
    return html.Div(html.Section([
        html.H1(t("replay.title", lang), className="placeholder-title"),
        html.P(t("replay.placeholder", lang), id="replay-note", className="placeholder-text"),
    ], className="panel placeholder"), className="page page-replay")


def register_callbacks(app: Dash, ctx: Context) -> None:
    """Nothing is live on this page yet."""
