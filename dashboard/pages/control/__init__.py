"""/control: the operator's queue of open citizen reports, the most pressing first, with a live
SLA countdown on every row, the selected report's detail and actions, an alert (flash and beep)
for every new possibly urgent report, and the city's KPIs and map beside them.

Everything refreshes without a reload: the queue and the alert poll every second, but a view is
redrawn only when its signature (what it shows) changed, so 10,000 open reports cost one page
of 100 rows and a few counts per second.

One module per part of the page, each with its layout and its callbacks: `queue_panel`,
`detail` (with `actions`), `alerts` and `side`; `page` puts them together.
"""

from __future__ import annotations

from datetime import datetime

from dash import Dash

from dashboard.context import Context
from dashboard.pages.control import actions, alerts, detail, queue_panel, side
from dashboard.pages.control.cities import Cities
from dashboard.pages.control.page import layout

__all__ = ["layout", "register_callbacks"]


def register_callbacks(app: Dash, ctx: Context, city_start: datetime | None = None) -> None:
    """`city_start`: the scenario time the city started at (Settings.scenario_start); reports
    received before it are never new arrivals."""
    cities = Cities(ctx.api)
    queue_panel.register(app, ctx, cities)
    detail.register(app, ctx, cities)
    actions.register(app, ctx)
    alerts.register(app, ctx, cities, city_start)
    side.register(app, ctx, cities)
