"""Queue and alert rows travel to the browser as specs that `IOC.build` turns into DOM: citizen
text stays a text node, and no handler, style or link reaches an attribute."""

from __future__ import annotations

from dash import html

from dashboard.queue import alert_row, item, spec

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def attributes(node) -> list[dict]:
    if isinstance(node, str):
        return []
    return [node[1], *(a for child in node[2:] for a in attributes(child))]


def texts(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    return [t for child in node[2:] for t in texts(child)]


def test_text_is_kept_as_text_not_markup():
    built = spec(html.Div([html.Span(HOSTILE, className="t"), 7]))
    assert built == ["div", {}, ["span", {"class": "t"}, HOSTILE], "7"]


def test_only_plain_attributes_pass():
    node = html.Div("x", className="row", tabIndex="0", role="button", style={"color": "red"},
                    n_clicks=3, key="k", title="hi",
                    **{"data-report-id": "R-1", "aria-pressed": "false"})
    assert spec(node)[1] == {"class": "row", "tabindex": "0", "role": "button", "title": "hi",
                             "data-report-id": "R-1", "aria-pressed": "false"}


def test_an_alert_row_carries_the_citizen_text_only_as_text():
    report = {"report_id": "R-1", "urgency": "urgent", "sla_state": "ok",
              "due_at": "2026-11-24T12:00:00+00:00", "received_at": "2026-11-24T10:00:00+00:00",
              "ward": None, "text": HOSTILE}
    built = item("R-1", alert_row(report, "vi", "Asia/Ho_Chi_Minh", lambda *_: None))["spec"]
    assert HOSTILE in texts(built)
    names = {name for attrs in attributes(built) for name in attrs}
    assert not {n for n in names if n.startswith("on") or n in ("style", "src", "href")}


def test_a_change_shows_in_the_signature_and_nothing_else_does():
    a, b, c = (item("R-1", html.Span(text)) for text in ("one", "one", "two"))
    assert a["sig"] == b["sig"] != c["sig"]


def test_a_running_clock_does_not_change_a_rows_digest_but_a_stopped_one_shows_its_figure():
    from dashboard.queue import queue_row

    def row(state: str, left: int) -> dict:
        r = {"report_id": "R-1", "status": "triaged", "urgency": "urgent", "sla_state": state,
             "due_at": "2026-11-24T12:00:00+00:00", "received_at": "2026-11-24T10:00:00+00:00",
             "sla_left_s": left, "text": "Cháy"}
        return item("R-1", queue_row(r, "vi", "Asia/Ho_Chi_Minh", lambda *_: None))

    assert row("ok", 3000)["sig"] == row("ok", 2999)["sig"], "the browser ticks it, not a redraw"
    assert row("met", 3000)["sig"] != row("met", 2999)["sig"]
