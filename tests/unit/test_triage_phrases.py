"""Triage's phrase groups (`analytics/triage/data/phrases.json`): the file is valid, a group
matches its phrases however they are typed (diacritics, numbers, shorthand), the category never
reads them, and on sentences written here the committed model tells a problem that is happening
now from one that has lasted for months, with whole-word cues."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analytics.triage.model import (
    PHRASES_PATH,
    Features,
    TriageModel,
    TriageParams,
    canonical,
    read_phrases,
)
from ioc.events import Urgency


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return TriageModel.load()


def _group_values(features: Features, text: str) -> dict[str, float]:
    row = features.transform([text]).toarray()[0, features.n_tfidf:]
    return {g.name: float(v) for g, v in zip(features.phrase_groups, row, strict=True)}


def test_the_phrase_file_is_valid_and_each_phrase_is_canonical() -> None:
    groups = read_phrases()
    names = [g.name for g in groups]
    assert len(names) == len(set(names))
    for g in groups:
        assert g.says and g.phrases
        for p in g.phrases:
            assert p == canonical(p), f"{g.name}: {p!r} is not in canonical form"


def test_a_bad_phrase_file_names_the_group(tmp_path) -> None:
    path = tmp_path / "phrases.json"
    path.write_text(json.dumps({"groups": {"lasting": {"says": "", "phrases": ["mấy năm"]}}}),
                    encoding="utf-8")
    with pytest.raises(ValueError, match="lasting"):
        read_phrases(path)


def test_the_committed_model_reads_the_phrase_groups_of_the_file(model) -> None:
    assert [g.name for g in model.features.phrase_groups] == [g.name for g in read_phrases()]


@pytest.mark.parametrize("text, group", [
    ("Đèn đường hư mấy tháng nay rồi", "lasting"),
    ("den duong hu 10 thang nay roi", "lasting"),  # any number, no diacritics
    ("The drain has been blocked for months", "lasting"),
    ("Cứ mỗi khi mưa là ngập", "habitual"),
    ("Nước ngập từ tối qua tới giờ", "now"),
    ("nuoc van dang len", "sudden"),
    ("Nước lên tới ngang ngực", "height"),
    ("Cả nhà không dám dùng nước máy", "health"),
    ("nha e ko dam dung nuoc", "health"),  # "ko" is "không"
    ("Có người mắc kẹt trong nhà", "people"),
    ("Cây đổ hôm qua đã được xử lý xong", "resolved"),
])
def test_a_group_matches_its_phrases_however_typed(model, text, group) -> None:
    values = _group_values(model.features, text)
    assert values[group] > 0, values


def test_phrases_match_whole_words_only(model) -> None:
    # "thương" (bị thương: hurt) is not "thường" (thường xuyên: often) once stripped; and
    # "bùng" (flare up) must not read as a part of another phrase.
    assert _group_values(model.features, "Anh ấy bị thương ở chân")["habitual"] == 0
    assert _group_values(model.features, "nowhere to go")["now"] == 0


def test_the_category_never_reads_the_phrase_groups(model) -> None:
    f = model.features
    start = f.n_tfidf if model.params.get("category_chars") else f.n_word
    assert not np.any(model.weights[start:, :-1]), "category weights on non-word columns"
    assert np.any(model.weights[f.n_tfidf:, -1]), "urgency reads the phrase groups"


def test_phrase_groups_are_off_with_scale_zero() -> None:
    texts = ["cây đổ mấy tháng nay", "nước lên tới đầu gối từ tối qua"]
    params = TriageParams(min_df=1, phrase_scale=0.0)
    f = Features.fit([canonical(t) for t in texts], params, read_phrases(PHRASES_PATH))
    assert f.phrase_groups == () and f.n_features == f.n_tfidf
    assert f.transform(texts).shape == (2, f.n_tfidf)


@pytest.mark.parametrize("now, lasting", [
    ("Nước ngập tới đầu gối trong nhà rồi, vẫn đang lên từ tối qua, nhà có người già.",
     "Mỗi khi mưa lớn nước lại ngập tới đầu gối trước nhà, mấy năm nay rồi chưa ai sửa cống."),
    ("Water is knee-deep inside the house and still rising since last night.",
     "Every time it rains hard the street floods knee-deep. It has been like this for years."),
    ("nc ngap toi dau goi r, van dang len, nha co ba gia ko di dc",
     "nam nao mua lon cung ngap toi dau goi, quen r, mong phuong lam lai cong"),
])
def test_happening_now_is_urgent_and_lasting_for_years_is_not(model, now, lasting) -> None:
    a, b = model.predict([now, lasting])
    assert a.urgency is Urgency.URGENT, a
    assert b.urgency is Urgency.NORMAL, b
    assert a.p_urgent > b.p_urgent
