"""Report lifecycle: allowed transitions, refusals with reasons, and the folded state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ioc import lifecycle as lc
from ioc.events import ReportAction, ReportEvent, ReportTriaged, Urgency

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def event(action: str, minutes: int = 1, **kw) -> ReportEvent:
    return ReportEvent(ts=T0 + timedelta(minutes=minutes), report_id="R-1", action=action,
                       actor=kw.pop("actor", "op1"), **kw)


def triaged(**kw) -> ReportTriaged:
    base = dict(ts=T0, report_id="R-1", urgency="urgent", category="flooding",
                department="public_works", confidence=0.9, cues=["ngập"])
    return ReportTriaged(**{**base, **kw})


def fresh() -> lc.Report:
    return lc.Report("R-1", T0)


def test_the_happy_path():
    r = lc.apply_triage(fresh(), triaged())
    r = lc.apply(r, event("acknowledge", 5))
    r = lc.apply(r, event("respond", 30, note="Đội công trình đang đến / crew on the way"))
    r = lc.apply(r, event("resolve", 90))
    r = lc.apply(r, event("close", 100))
    assert r.status == lc.Status.CLOSED
    assert r.first_response_at == T0 + timedelta(minutes=30)
    assert r.last_response.startswith("Đội công trình")
    assert len(r.history) == 4 and "respond by op1" in r.history[1]


def test_resolving_without_a_response_is_refused_with_the_fix():
    r = lc.apply(fresh(), event("acknowledge"))
    with pytest.raises(lc.InvalidTransition, match="respond to the citizen first"):
        lc.apply(r, event("resolve"))


def test_a_response_needs_text_the_citizen_sees():
    with pytest.raises(lc.InvalidTransition, match="note"):
        lc.apply(fresh(), event("respond", note="  "))


def test_reject_needs_a_known_reason():
    with pytest.raises(lc.InvalidTransition, match="duplicate"):
        lc.apply(fresh(), event("reject", reason="bored"))
    assert lc.apply(fresh(), event("reject", reason="spam")).status == lc.Status.REJECTED


def test_overrides_survive_a_later_triage():
    r = lc.apply(fresh(), event("override", urgency="urgent", category="fire"))
    r = lc.apply_triage(r, triaged(urgency="normal", category="garbage"))
    assert (r.urgency, r.category, r.overridden) == (Urgency.URGENT, "fire", True)
    assert r.status == lc.Status.TRIAGED


def test_first_response_time_is_kept_across_later_responses_and_reopen():
    r = lc.apply(fresh(), event("respond", 10, note="a"))
    r = lc.apply(r, event("respond", 20, note="b"))
    r = lc.apply(r, event("resolve", 30))
    r = lc.apply(r, event("reopen", 40))
    assert r.first_response_at == T0 + timedelta(minutes=10) and r.last_response == "b"
    assert r.status == lc.Status.REOPENED and r.is_open
    assert r.reopened_at == T0 + timedelta(minutes=40), "from then it needs another response"


actions = st.sampled_from(list(ReportAction))


@given(st.lists(actions, max_size=12))
def test_any_sequence_either_applies_or_is_refused_and_final_states_stay_final(seq):
    r = fresh()
    for i, action in enumerate(seq):
        e = event(action.value, i + 1, note="x", reason="duplicate", rating=4,
                  department="public_works", urgency="urgent")
        before = r
        try:
            r = lc.apply(r, e)
        except lc.InvalidTransition as refused:
            assert str(refused)
            assert r is before
            continue
        assert action in lc.allowed_actions(before)
        if before.status == lc.Status.REJECTED:
            raise AssertionError("nothing may follow a rejection")
        if r.first_response_at is not None:
            assert before.first_response_at in (None, r.first_response_at)



S = lc.Status
# action -> the states in which it is already done, and the state it leads to
ALREADY = {ReportAction.ACKNOWLEDGE: {S.ACKNOWLEDGED, S.RESPONDED, S.RESOLVED, S.CLOSED},
           ReportAction.RESOLVE: {S.RESOLVED, S.CLOSED}, ReportAction.CLOSE: {S.CLOSED},
           ReportAction.REOPEN: {S.REOPENED}, ReportAction.REJECT: {S.REJECTED}}


@pytest.mark.parametrize("status", list(lc.Status))
@pytest.mark.parametrize("action", list(ReportAction))
def test_every_refusal_reads_right_and_says_so_when_already_done(status, action):
    e = event(action.value, note="x", reason="duplicate", rating=4, department="public_works",
              urgency="urgent")
    report = lc.Report("R-1", T0, status=status)
    if action in lc.allowed_actions(report):
        lc.apply(report, e)
        return
    with pytest.raises(lc.InvalidTransition) as refused:
        lc.apply(report, e)
    message = str(refused.value)
    verb = "respond to" if action == ReportAction.RESPOND else action.value
    assert message.startswith(f"cannot {verb} report R-1: ")
    words = message.split(": ", 1)[1].replace(";", "").replace(",", "").split()
    triples = list(zip(words, words[1:], words[2:], strict=False))
    assert len(triples) == len(set(triples)), f"repeats itself: {message}"
    assert words.count(status.value) <= 1, f"names the state more than once: {message}"
    if status in ALREADY.get(action, ()):
        assert f"already {lc.TRANSITIONS[action][1].value}" in message


def test_a_reopened_report_awaits_a_response_until_it_gets_one():
    r = lc.apply(fresh(), event("respond", 10, note="a"))
    r = lc.apply(lc.apply(r, event("resolve", 20)), event("reopen", 30))
    assert lc.awaits_response_again(r.status, r.reopened_at)
    r = lc.apply(r, event("acknowledge", 40))
    assert lc.awaits_response_again(r.status, r.reopened_at), "acknowledging is no response"
    r = lc.apply(r, event("respond", 50, note="b"))
    assert not lc.awaits_response_again(r.status, r.reopened_at)
    assert not lc.awaits_response_again(lc.Status.ACKNOWLEDGED, None)
