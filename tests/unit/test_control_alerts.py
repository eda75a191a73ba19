"""What the alert banner counts as an arrival, and the order its rows come in; the named
outputs the control page's callbacks answer with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_answers import report_row
from dash import Output, no_update

from dashboard.outputs import answer
from dashboard.pages.control.alerts import ARRIVAL_SLACK, alert_items, possibly_urgent, watch_from

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def report(n: int, urgency: str | None = "urgent", due_h: float = 2, **more):
    return report_row(n, received_at=T0 + timedelta(minutes=n), due_h=due_h, urgency=urgency,
                      **more)


def test_the_watch_starts_a_little_before_the_page_opened():
    assert watch_from(T0, None) == T0 - ARRIVAL_SLACK


def test_the_slack_is_wall_time_whatever_the_scenario_speed():
    assert watch_from(T0, None, speed=30) == T0 - timedelta(seconds=300)


def test_nothing_received_before_the_city_started_is_an_arrival():
    started = T0 - timedelta(seconds=3)  # the page opened just after the city started
    assert watch_from(T0, started) == started


@pytest.mark.parametrize(("urgency", "needs_review", "alerts"), [
    ("urgent", False, True), (None, False, True), ("normal", True, True),
    ("normal", False, False)])
def test_possibly_urgent_is_urgent_untriaged_or_an_unsure_normal(urgency, needs_review, alerts):
    assert possibly_urgent(report(1, urgency, needs_review=needs_review)) is alerts


def test_rows_come_the_least_time_left_first_each_with_its_receipt_time():
    reports = [report(3), report(1, "normal", due_h=24, needs_review=True), report(2, None)]
    items = alert_items(reports, "vi", "Asia/Ho_Chi_Minh", lambda *_: None)
    assert [i["key"] for i in items] == ["R-2", "R-3", "R-1"]
    assert items[0]["at"] == reports[2].received_at.isoformat()


def test_an_answer_names_what_it_sets_and_leaves_the_rest():
    outputs = {"a": Output("a", "children"),
               "chips": {k: Output(f"c-{k}", "children") for k in ("x", "y")}}
    assert answer(outputs, a=1) == {"a": 1, "chips": {"x": no_update, "y": no_update}}
    assert answer(outputs, chips={"y": 2}) == {"a": no_update,
                                               "chips": {"x": no_update, "y": 2}}
    with pytest.raises(KeyError, match="chip"):
        answer(outputs, chip={"x": 1})
