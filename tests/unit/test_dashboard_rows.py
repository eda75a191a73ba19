"""Queue and alert rows travel to the browser as specs that `IOC.build` turns into DOM: citizen
text stays a text node, and no handler, style or link reaches an attribute. Rows are built from
the API's own model (`ReportRow`), and show its SLA clock as the API judged it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_answers import T0, report_row
from dash import html

from dashboard.queue import alert_row, item, queue_row, spec

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
TZ = "Asia/Ho_Chi_Minh"


def attributes(node) -> list[dict]:
    if isinstance(node, str):
        return []
    return [node[1], *(a for child in node[2:] for a in attributes(child))]


def texts(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    return [t for child in node[2:] for t in texts(child)]


def find(node, css: str):
    """The first element whose class list has `css`."""
    if isinstance(node, str):
        return None
    if css in node[1].get("class", "").split():
        return node
    return next((f for child in node[2:] if (f := find(child, css)) is not None), None)


def assert_only_text(built, hostile: str) -> None:
    """`hostile` reaches the browser only as text nodes (or a plain attribute's value), and no
    attribute that runs, styles or links anything is there at all."""
    assert any(hostile in text for text in texts(built))
    names = {name for attrs in attributes(built) for name in attrs}
    assert not {n for n in names if n.startswith("on") or n in ("style", "src", "href")}
    assert not [node for node in _elements(built) if node[0] in ("script", "img", "iframe")]


def _elements(node):
    if isinstance(node, str):
        return
    yield node
    for child in node[2:]:
        yield from _elements(child)


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
    built = item("R-1", alert_row(report_row(text=HOSTILE), "vi", TZ, lambda *_: None))["spec"]
    assert_only_text(built, HOSTILE)


@pytest.mark.parametrize("field", ["text", "assignee", "ward", "category"])
def test_a_queue_row_carries_every_citizen_or_operator_word_only_as_text(field):
    # an unknown ward is shown as it was sent (ward_name returns it), so it is text too
    row = report_row(**{field: HOSTILE})
    built = spec(queue_row(row, "vi", TZ, lambda ward, _lang: ward))
    assert_only_text(built, HOSTILE)


def test_a_change_shows_in_the_signature_and_nothing_else_does():
    a, b, c = (item("R-1", html.Span(text)) for text in ("one", "one", "two"))
    assert a["sig"] == b["sig"] != c["sig"]


def test_a_running_clock_does_not_change_a_rows_digest_but_a_stopped_one_shows_its_figure():
    def row(state: str, left: int) -> dict:
        r = report_row(text="Cháy", clock={"state": state, "left_s": left})
        return item("R-1", queue_row(r, "vi", TZ, lambda *_: None))

    assert row("ok", 3000)["sig"] == row("ok", 2999)["sig"], "the browser ticks it, not a redraw"
    assert row("met", 3000)["sig"] != row("met", 2999)["sig"]
    stopped = find(row("met", 3000)["spec"], "countdown")[1]
    assert (stopped["data-frozen"], stopped["data-left"]) == ("1", "3000")


def test_the_row_counts_down_to_the_clock_the_api_sent():
    due = T0 + timedelta(hours=5)
    row = report_row(clock={"due_at": due.isoformat(), "state": "warning"})
    built = spec(queue_row(row, "en", TZ, lambda *_: None))
    clock = find(built, "countdown")[1]
    assert (clock["data-due"], clock["data-frozen"]) == (due.isoformat(), "0")
    assert find(built, "sla-pill")[1]["data-sla"] == "warning"
    assert "sla-warning" in built[1]["class"].split()


def test_a_reopened_report_shows_the_clock_of_its_next_response():
    again = T0 + timedelta(hours=30)
    row = report_row(status="reopened", reopened_at=(T0 + timedelta(hours=28)).isoformat(),
                     respond_again_by=again.isoformat(), sla_state="met",
                     clock={"kind": "response_again", "state": "ok",
                            "due_at": again.isoformat()})
    built = spec(queue_row(row, "vi", TZ, lambda *_: None))
    pill = find(built, "sla-pill")
    assert pill[1]["data-sla"] == "reopened" and "Phản hồi lại" in texts(pill)
    assert find(built, "countdown")[1]["data-due"] == again.isoformat()
    assert "Mở lại" in texts(find(built, "q-status"))
