"""Triage: the committed model loads, reads Vietnamese with or without diacritics alike, shows
whole-word cues, and `ioc triage --in/--out` files round-trip; the worker's sink is idempotent."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fakes import FakePublisher
from scipy import sparse

from analytics.triage.commands import BadInput, classify_file
from analytics.triage.model import TriageModel, canonical
from analytics.triage.train import choose_threshold
from analytics.triage.worker import TriageSink
from ioc import topics as tp
from ioc.clock import FakeClock
from ioc.events import CitizenReport, ReportTriaged, Urgency
from ioc.taxonomy import load_taxonomy
from ioc.text import normalize, strip_diacritics
from ioc.worker import Message

OUT_FIELDS = {"id", "urgency", "category", "department", "confidence", "cues"}
EXAMPLES = [
    "Cây dầu lớn đổ chắn ngang đường Hùng Vương, có một xe máy bị đè, người lái bị thương.",
    "Cháy lớn tại số 12 đường Nguyễn Trãi, khói đen bốc cao, lửa đang lan sang nhà bên cạnh!",
    "Đèn đường trước chợ Long Khánh bị hỏng mấy ngày nay, buổi tối rất tối.",
    "Rác thải ứ đọng ở góc đường, không ai thu gom, bốc mùi hôi thối.",
    "Quán karaoke hát lớn đến nửa đêm, không ai ngủ được.",
    "Dây điện bị đứt rơi xuống đường trước trường tiểu học, đang tóe lửa!",
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return TriageModel.load()


def test_the_committed_model_loads_and_covers_the_taxonomy(model):
    taxonomy = load_taxonomy()
    assert set(model.categories) == set(taxonomy.codes)
    for code in model.categories:
        assert model.departments[code] == taxonomy.category(code).department
    assert model.model_version.startswith("triage-")
    assert 0 < model.threshold < 1


@pytest.mark.parametrize("text", EXAMPLES)
def test_a_report_and_its_unaccented_twin_get_the_same_answer(model, text):
    accented, stripped = model.predict([text, strip_diacritics(text)])
    assert (accented.category, accented.urgency) == (stripped.category, stripped.urgency)
    assert accented.confidence == pytest.approx(stripped.confidence)


def test_clear_reports_get_the_obvious_answer(model):
    fire, light = model.predict([EXAMPLES[1], EXAMPLES[2]])
    assert (fire.category, fire.urgency, fire.department) == ("fire", Urgency.URGENT,
                                                              "fire_rescue")
    assert (light.category, light.urgency) == ("street_light", Urgency.NORMAL)


# The last two: a phrase group (health, since last night) moves the decision, its phrase the cue.
GROUPED = "Từ tối qua nước máy có mùi lạ, cả nhà không dám dùng, con tôi bị buồn nôn"


@pytest.mark.parametrize("text", EXAMPLES + [strip_diacritics(EXAMPLES[0]),
                                             "A big tree fell across the road, a man is hurt!",
                                             GROUPED, strip_diacritics(GROUPED)])
def test_cues_are_whole_words_of_the_text(model, text):
    result = model.predict_one(text)
    assert result.cues
    norm = normalize(text)
    for cue in result.cues:
        at = norm.find(cue)
        assert at >= 0, f"{cue!r} is not in the text"
        before = norm[at - 1] if at > 0 else " "
        after = norm[at + len(cue)] if at + len(cue) < len(norm) else " "
        assert not before.isalnum() and not after.isalnum(), f"{cue!r} cuts a word"
        assert re.search(r"\w", cue)


def test_the_fast_features_equal_scikit_learns(model):
    texts = EXAMPLES + ["  ĐƯỜNG   ngập\tsâu!! 30cm…", "x\u0301 e\u0302\u0301 🌧 ngập", "a", "?"]
    word, char = model.features.sklearn_vectorizers()
    canon = [canonical(t) for t in texts]
    reference = sparse.hstack([word.transform(canon), char.transform(canon)]).tocsr()
    fast = model.features.transform(texts)
    # The n-gram columns are scikit-learn's; the phrase groups' come after them.
    assert fast.shape == (len(texts), model.features.n_features)
    assert fast.shape[1] - reference.shape[1] == len(model.features.phrase_groups)
    assert abs(fast[:, :model.features.n_tfidf] - reference).max() < 1e-9


def test_classify_file_round_trip(model, tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [{"id": "a", "text": EXAMPLES[0], "lang": "vi"},
             {"id": 7, "text": strip_diacritics(EXAMPLES[2])},
             {"id": "c", "text": "Garbage has not been collected for a week.", "lang": "en"}]
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n",
                   encoding="utf-8")
    assert classify_file(src, dst) == 3
    out = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [o["id"] for o in out] == ["a", 7, "c"]
    for o in out:
        assert set(o) == OUT_FIELDS
        assert o["urgency"] in ("urgent", "normal")
        assert o["category"] in load_taxonomy().codes
        assert 0 <= o["confidence"] <= 1 and isinstance(o["cues"], list)
    assert out[2]["category"] == "garbage"


@pytest.mark.parametrize("bad, reason", [
    ("{not json", "not JSON"),
    ('{"id": "x"}', '"text" is missing'),
    ('{"text": "cây đổ"}', '"id" is missing'),
    ('{"id": "x", "text": "cây đổ", "lang": "fr"}', '"lang"'),
    ('["x", "cây đổ"]', "expected an object"),
])
def test_a_bad_line_is_named_and_leaves_no_output(model, tmp_path, bad, reason):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": "ok", "text": "Cây đổ chắn đường"}\n' + bad + "\n", encoding="utf-8")
    with pytest.raises(BadInput) as exc:
        classify_file(src, dst)
    assert "line 2" in str(exc.value) and reason in str(exc.value)
    assert not dst.exists() and not list(tmp_path.glob("*.tmp"))


def test_the_threshold_keeps_the_recall_target():
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.2
    p = np.clip(np.where(y, 0.7, 0.3) + rng.normal(0, 0.2, 400), 0, 1)
    t = choose_threshold([(p, y)], recall=0.95)
    assert np.mean(p[y] >= t) >= 0.95


def test_each_tuning_set_may_have_its_own_recall_target():
    rng = np.random.default_rng(1)
    sets = []
    for spread in (0.1, 0.3):  # an easy set and a hard one
        y = rng.random(400) < 0.3
        sets.append((np.clip(np.where(y, 0.7, 0.3) + rng.normal(0, spread, 400), 0, 1), y))
    strict = choose_threshold(sets, recall=[0.97, 0.95])
    loose = choose_threshold(sets, recall=[0.97, 0.80])
    (p0, y0), (p1, y1) = sets
    assert np.mean(p0[y0] >= strict) >= 0.97 and np.mean(p1[y1] >= strict) >= 0.95
    assert np.mean(p1[y1] >= loose) >= 0.80
    assert loose >= strict


def _message(report: CitizenReport, offset: int) -> Message:
    return Message(tp.CITIZEN_REPORTS, report, b"", 0, offset, 0)


def test_the_sink_publishes_one_stable_triage_per_report(model):
    received = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    clock = FakeClock(received - timedelta(minutes=5))  # a clock behind the report's ts
    reports = [CitizenReport(ts=received, report_id=f"R-{i}", text=t, lat=10.93, lon=107.24)
               for i, t in enumerate(EXAMPLES[:3])]
    first, again = FakePublisher(), FakePublisher()
    TriageSink(model, first, clock)([_message(r, i) for i, r in enumerate(reports)])
    clock.tick(timedelta(hours=1))
    TriageSink(model, again, clock)([_message(r, i) for i, r in enumerate(reports)])
    assert first.flushes == 1 and len(first.sent) == 3
    for (topic, event), report in zip(first.sent, reports, strict=True):
        assert topic is tp.REPORTS_TRIAGED and isinstance(event, ReportTriaged)
        assert event.report_id == report.report_id and event.ts == report.ts
        assert event.model_version == model.model_version
        assert event.event_id.version == 5 and event.event_id != report.event_id
    assert [e.event_id for _, e in first.sent] == [e.event_id for _, e in again.sent]
    assert all(e.ts == clock.now() for _, e in again.sent)
    assert isinstance(first.sent[0][1].event_id, uuid.UUID)
