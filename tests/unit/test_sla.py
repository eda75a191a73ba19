"""The SLA clock, with property-based tests over receipt times, urgencies and `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ioc import sla
from ioc.events import Urgency
from ioc.policy import SlaPolicy, Target

POLICY = SlaPolicy()
T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
times = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                     timezones=st.just(UTC))
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))
urgencies = st.sampled_from([Urgency.URGENT, Urgency.NORMAL, None])


@given(times)
def test_urgent_is_due_two_hours_after_receipt(received):
    assert sla.due_at(received, Urgency.URGENT, POLICY) == received + timedelta(hours=2)


@given(times, times, urgencies)
def test_a_reopened_report_needs_another_response_one_window_after_reopening(
        received, reopened, urgency):
    window = sla.due_at(received, urgency, POLICY) - received
    assert sla.respond_again_by(reopened, urgency, POLICY) == reopened + window


@given(times, urgencies, offsets)
def test_state_follows_time_left(received, urgency, elapsed):
    clock = sla.first_response(received, urgency, None, received + elapsed, POLICY)
    window = timedelta(hours=sla.target(urgency, POLICY).respond_h)
    left = window - elapsed
    assert clock.left_s == pytest.approx(left.total_seconds())
    if left < timedelta(0):
        assert clock.state == sla.SlaState.BREACHED
    elif left <= window * 0.25:
        assert clock.state == sla.SlaState.WARNING
    else:
        assert clock.state == sla.SlaState.OK


@given(times, urgencies, offsets, offsets)
def test_a_response_stops_the_clock(received, urgency, to_response, later):
    responded = received + to_response
    a = sla.first_response(received, urgency, responded, responded, POLICY)
    b = sla.first_response(received, urgency, responded, responded + later, POLICY)
    assert a == b
    assert a.state in (sla.SlaState.MET, sla.SlaState.MISSED)
    assert (a.state == sla.SlaState.MET) == (responded <= a.due_at)


@given(times, offsets)
def test_reclassified_to_urgent_is_due_at_receipt_plus_two_hours(received, elapsed):
    now = received + elapsed
    clock = sla.first_response(received, Urgency.URGENT, None, now, POLICY)
    assert clock.due_at == received + timedelta(hours=2)
    assert (clock.state == sla.SlaState.BREACHED) == (elapsed > timedelta(hours=2))


def test_untriaged_reports_are_held_to_the_urgent_target():
    assert sla.due_at(T0, None, POLICY) == sla.due_at(T0, Urgency.URGENT, POLICY)


def test_warning_starts_with_a_quarter_of_the_target_left():
    just_before = T0 + timedelta(minutes=89, seconds=59)
    assert sla.first_response(T0, Urgency.URGENT, None, just_before, POLICY).state == "ok"
    at = T0 + timedelta(minutes=90)
    assert sla.first_response(T0, Urgency.URGENT, None, at, POLICY).state == "warning"


def test_the_two_hours_cannot_be_configured_away():
    with pytest.raises(ValidationError, match="within 2 hours"):
        SlaPolicy(urgent=Target(respond_h=4, resolve_h=24))


@given(times, urgencies, st.one_of(st.none(), offsets), st.one_of(st.none(), offsets))
def test_the_instants_persistence_stores(received, urgency, to_response, to_reopen):
    responded = None if to_response is None else received + to_response
    reopened = None if to_reopen is None else received + to_reopen
    i = sla.instants(received, urgency, responded, reopened, POLICY)
    assert (i.due_at, i.resolve_due_at) == (sla.due_at(received, urgency, POLICY),
                                            sla.resolve_due_at(received, urgency, POLICY))
    assert i.warn_at == sla.warn_at(received, i.due_at, POLICY)
    if reopened is not None:
        again = sla.respond_again_by(reopened, urgency, POLICY)
        assert (i.awaiting, i.respond_kind, i.respond_by) == (
            True, sla.ClockKind.RESPONSE_AGAIN, again)
        assert i.respond_warn_at == sla.warn_at(reopened, again, POLICY)
    else:
        assert (i.awaiting, i.respond_kind, i.respond_warn_at, i.respond_by) == (
            responded is None, sla.ClockKind.FIRST_RESPONSE, i.warn_at, i.due_at)


@given(times, urgencies, offsets)
def test_a_clock_from_stored_instants_agrees_with_one_from_the_facts(received, urgency, elapsed):
    i = sla.instants(received, urgency, None, None, POLICY)
    now = received + elapsed
    assert sla.clock(now, warn_at=i.warn_at, due_at=i.due_at) == sla.first_response(
        received, urgency, None, now, POLICY)


def test_the_clock_turns_at_its_instants():
    due, warn = T0 + timedelta(hours=2), T0 + timedelta(minutes=90)
    states = [sla.clock(now, warn_at=warn, due_at=due).state
              for now in (warn - timedelta(microseconds=1), warn, due,
                          due + timedelta(microseconds=1))]
    assert states == ["ok", "warning", "warning", "breached"]
