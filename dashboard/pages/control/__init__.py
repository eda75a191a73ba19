"""/control: the operator's queue of open citizen reports, the most pressing first, with a live
SLA countdown on every row, the selected report's detail and actions, an alert (flash and beep)
for every new possibly urgent report, and the city's KPIs and map beside them.

Everything refreshes without a reload: the queue and the alert poll every second, but a view is
redrawn only when its signature (what it shows) changed, so 10,000 open reports cost one page
of 100 rows and a few counts per second.

One module per part of the page, each with its layout and its callbacks: `queue_panel`,
`detail` (with `actions`), `alerts`, `alarms_panel` and `side`; `page` puts them together.
"""

from __future__ import annotations

from dash import Dash

from dashboard.context import Context
from dashboard.pages.control import actions, alarms_panel, alerts, detail, queue_panel, side
from dashboard.pages.control.page import layout

__all__ = ["layout", "register_callbacks"]


def register_callbacks(app: Dash, ctx: Context) -> None:
    queue_panel.register(app, ctx)
    detail.register(app, ctx)
    actions.register(app, ctx)
    alerts.register(app, ctx)
    side.register(app, ctx)
    alarms_panel.register(app, ctx)
