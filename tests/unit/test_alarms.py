"""The ISA-18.2 alarm state model (ioc.alarms): every transition, on explicit times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc import alarms as al
from ioc.events import Alarm, AlarmAction, AlarmState, Severity

T0 = datetime(2026, 9, 12, 2, 0, tzinfo=UTC)
S = AlarmState


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def event(action: AlarmAction, minutes: float = 0, **fields) -> Alarm:
    if action is AlarmAction.RAISE:
        fields.setdefault("severity", Severity.HIGH)
    return Alarm(ts=at(minutes), source_id="wl-suoiret-1", source_kind="sensor",
                 alarm_type="water_level", action=action, **fields)


def run(*steps: tuple) -> al.AlarmRecord:
    record = None
    for step in steps:
        action, minutes, *rest = step
        record = al.apply(record, event(action, minutes, **(rest[0] if rest else {})))
    return record


A = AlarmAction


def test_raise_opens_an_unacknowledged_alarm():
    a = run((A.RAISE, 0))
    assert al.state_at(a, at(0)) is S.UNACK
    assert al.is_open(a, at(0)) and a.raised_at == at(0)


def test_acknowledged_then_clear_is_normal_and_closed():
    a = run((A.RAISE, 0), (A.ACKNOWLEDGE, 2, {"actor": "lan"}))
    assert al.state_at(a, at(2)) is S.ACKED and a.acknowledged_by == "lan"
    a = al.apply(a, event(A.CLEAR, 5))
    assert al.state_at(a, at(5)) is S.NORMAL
    assert a.closed_at == at(5) and not al.is_open(a, at(5))


def test_clear_before_acknowledgement_waits_for_it():
    a = run((A.RAISE, 0), (A.CLEAR, 3))
    assert al.state_at(a, at(3)) is S.RTN_UNACK and al.is_open(a, at(3))
    a = al.apply(a, event(A.ACKNOWLEDGE, 4))
    assert al.state_at(a, at(4)) is S.NORMAL and a.closed_at == at(4)


def test_returning_before_acknowledgement_is_the_same_alarm_unacknowledged_again():
    a = run((A.RAISE, 0), (A.CLEAR, 3))
    again = al.apply(a, event(A.RAISE, 6))
    assert again.alarm_id == a.alarm_id
    assert al.state_at(again, at(6)) is S.UNACK and again.annunciated_at == at(6)


def test_returning_after_closing_is_a_new_alarm():
    a = run((A.RAISE, 0), (A.ACKNOWLEDGE, 1), (A.CLEAR, 2))
    again = al.apply(a, event(A.RAISE, 9))
    assert again.alarm_id != a.alarm_id and again.raised_at == at(9)


def test_worse_severity_reannunciates_an_acknowledged_alarm():
    a = run((A.RAISE, 0, {"severity": Severity.MEDIUM}), (A.ACKNOWLEDGE, 1))
    worse = al.apply(a, event(A.RAISE, 5, severity=Severity.CRITICAL))
    assert al.state_at(worse, at(5)) is S.UNACK and worse.severity is Severity.CRITICAL
    milder = al.apply(al.apply(worse, event(A.ACKNOWLEDGE, 6)),
                      event(A.RAISE, 7, severity=Severity.HIGH))
    assert al.state_at(milder, at(7)) is S.ACKED and milder.severity is Severity.HIGH


def test_acknowledging_twice_or_nothing_is_refused():
    a = run((A.RAISE, 0), (A.ACKNOWLEDGE, 1, {"actor": "lan"}))
    with pytest.raises(al.InvalidAlarmAction, match="already acknowledged by lan"):
        al.apply(a, event(A.ACKNOWLEDGE, 2))
    with pytest.raises(al.InvalidAlarmAction, match="no open water_level alarm"):
        al.apply(None, event(A.ACKNOWLEDGE, 2))


def test_shelved_until_it_expires_then_shows_its_state():
    a = run((A.RAISE, 0), (A.SHELVE, 1, {"shelved_until": at(31), "actor": "lan"}))
    assert al.state_at(a, at(30)) is S.SHELVED and al.hidden_at(a, at(30))
    assert al.state_at(a, at(31)) is S.UNACK  # the shelf ran out: it asks for attention again


def test_unshelve_early():
    a = run((A.RAISE, 0), (A.SHELVE, 1, {"shelved_until": at(60)}), (A.UNSHELVE, 5))
    assert al.state_at(a, at(5)) is S.UNACK
    with pytest.raises(al.InvalidAlarmAction, match="not shelved"):
        al.apply(a, event(A.UNSHELVE, 6))


def test_shelving_into_the_past_is_refused():
    a = run((A.RAISE, 0))
    with pytest.raises(al.InvalidAlarmAction, match="future"):
        al.apply(a, event(A.SHELVE, 5, shelved_until=at(4)))


def test_clear_while_shelved_needs_no_acknowledgement():
    a = run((A.RAISE, 0), (A.SHELVE, 1, {"shelved_until": at(30)}), (A.CLEAR, 10))
    assert al.state_at(a, at(20)) is S.SHELVED and al.is_open(a, at(20))
    assert not al.is_open(a, at(30))  # nothing left to see once the shelf runs out
    assert al.closed_since(a) == at(30)
    assert al.apply(a, event(A.RAISE, 40)).alarm_id != a.alarm_id


def test_raised_again_while_shelved_is_unacknowledged_when_it_comes_back():
    a = run((A.RAISE, 0), (A.ACKNOWLEDGE, 1), (A.SHELVE, 2, {"shelved_until": at(30)}),
            (A.CLEAR, 5), (A.RAISE, 10))
    assert al.state_at(a, at(29)) is S.SHELVED
    assert al.state_at(a, at(30)) is S.UNACK


def test_suppressed_by_design_and_back():
    a = run((A.RAISE, 0), (A.SUPPRESS, 1))
    assert al.state_at(a, at(1)) is S.SUPPRESSED
    a = al.apply(a, event(A.UNSUPPRESS, 9))
    assert al.state_at(a, at(9)) is S.UNACK


def test_cleared_while_suppressed_closes_when_unsuppressed():
    a = run((A.RAISE, 0), (A.SUPPRESS, 1), (A.CLEAR, 4))
    assert al.state_at(a, at(4)) is S.SUPPRESSED
    a = al.apply(a, event(A.UNSUPPRESS, 6))
    assert al.state_at(a, at(6)) is S.NORMAL and a.closed_at == at(6)


def test_out_of_service_wins_and_refuses_shelving():
    a = run((A.RAISE, 0), (A.REMOVE_FROM_SERVICE, 1, {"actor": "engineer"}), (A.SUPPRESS, 2))
    assert al.state_at(a, at(2)) is S.OUT_OF_SERVICE
    with pytest.raises(al.InvalidAlarmAction, match="out of service"):
        al.apply(a, event(A.SHELVE, 3, shelved_until=at(30)))
    with pytest.raises(al.InvalidAlarmAction, match="already out of service"):
        al.apply(a, event(A.REMOVE_FROM_SERVICE, 3))
    a = al.apply(al.apply(a, event(A.UNSUPPRESS, 3)), event(A.RETURN_TO_SERVICE, 4))
    assert al.state_at(a, at(4)) is S.UNACK
    with pytest.raises(al.InvalidAlarmAction, match="in service"):
        al.apply(a, event(A.RETURN_TO_SERVICE, 5))


def test_clear_twice_is_harmless():
    a = run((A.RAISE, 0), (A.CLEAR, 1))
    assert al.apply(a, event(A.CLEAR, 2)) == a


def test_unacknowledged_alarm_escalates_one_severity_per_period_up_to_critical():
    a = run((A.RAISE, 0, {"severity": Severity.LOW}))
    every = timedelta(minutes=15)
    assert al.severity_at(a, at(14), every) is Severity.LOW
    assert al.severity_at(a, at(15), every) is Severity.MEDIUM
    assert al.severity_at(a, at(31), every) is Severity.HIGH
    assert al.severity_at(a, at(500), every) is Severity.CRITICAL
    acked = al.apply(a, event(A.ACKNOWLEDGE, 40))
    assert al.severity_at(acked, at(500), every) is Severity.LOW


def test_a_replayed_raise_opens_the_same_alarm():
    e = event(A.RAISE, 0)
    assert al.apply(None, e).alarm_id == al.apply(None, e).alarm_id == al.alarm_id_for(e)


def test_flood_counts_new_alarms_per_operator_in_the_last_ten_minutes():
    raised = [at(m) for m in range(0, 30)]  # one a minute
    level = al.flood_level(raised, at(29), operators=1, limit=10)
    assert level.per_10min_per_operator == 10 and not level.flooding
    level = al.flood_level(raised * 3, at(29), operators=2, limit=10)
    assert level.per_10min_per_operator == 15 and level.flooding


def test_events_need_what_their_action_needs():
    with pytest.raises(ValueError, match="severity"):
        Alarm(ts=T0, source_id="x", source_kind="sensor", alarm_type="t", action=A.RAISE)
    with pytest.raises(ValueError, match="shelved_until"):
        Alarm(ts=T0, source_id="x", source_kind="sensor", alarm_type="t", action=A.SHELVE)
