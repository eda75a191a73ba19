"""The triage model: category, department, urgency, confidence and cues of a citizen report.

Features are TF-IDF over word n-grams (1-3) and character n-grams inside words (char_wb 2-5),
both computed on the report lowercased *with its diacritics stripped*: "Cây đổ chắn đường" and
"cay do chan duong" are the same features, so a report and its unaccented twin always get the
same answer (a quarter of reports are typed without diacritics). Two linear models read them: a
multinomial logistic regression for the category and a class-weighted binary one for urgency,
whose threshold is set low on purpose because a missed urgent report is the worst error.

Next to the n-grams, a few *phrase groups* (`data/phrases.json`): how long a problem has lasted
("mấy năm nay", "for months"), whether it is happening now ("sáng nay", "still rising"), people
in danger, health threats, water measured against the body or the house. Each group is one
feature, its value the (sublinear) count of the group's phrases in the report, so what training
text teaches about some of a group's phrases carries to all of them: real residents say "hơn một
năm nay" where the training text said "mấy năm nay". A group that moves a decision shows the
phrase it matched as a cue, like any other word n-gram.

The vocabularies and IDF weights come from scikit-learn's `TfidfVectorizer` at training time;
prediction recomputes the same vectors with a per-word cache (character n-grams never cross a
space, so a word's n-grams can be looked up once) and one sparse product. `tests/unit/
test_triage.py` checks that the fast path equals scikit-learn's transform.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
from scipy import sparse

from ioc.events import Urgency
from ioc.text import normalize, strip_diacritics

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_PATH = MODEL_DIR / "triage.joblib"
METRICS_PATH = MODEL_DIR / "metrics.json"

TOKEN_PATTERN = r"(?u)\b\w+\b"  # one-letter tokens count too: "k" (không), "ô" (umbrella)
TOKEN_RE = re.compile(TOKEN_PATTERN)
MAX_CUES = 5
PHRASES_PATH = Path(__file__).resolve().parent / "data" / "phrases.json"
# Function words never stand alone as a cue, nor start or end one ("to the" says nothing).
# Vietnamese ones are matched with their diacritics ("ở" at, not "ổ" hole) and, in text typed
# without diacritics, by their stripped form.
_STOP_EN = frozenset("""
a an and are as at be been by for from has have in is it its of on or so that the there this
to was were with i we my our me please just now very
""".split())
_STOP_VI = frozenset("""
và của bị được đc dc đang ở các những một rất nhiều thì mà này vào như cũng sẽ ai gì anh chị
mình xin gửi nhé ạ
""".split())
_STOP_VI_TYPED = frozenset(strip_diacritics(w) for w in _STOP_VI)
_WORD_CACHE_MAX = 200_000


# Teen-code and SMS shorthand residents type, read as the word it stands for (matched on text
# already lowercased and stripped): "nc ko rut dc" reads as "nuoc khong rut duoc". Only forms
# with one common meaning: "m" (metre or "mày"), "s" ("it's") and "hong" (hỏng) stay as typed.
ABBREVIATIONS = {
    "ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "khum": "khong", "hk": "khong",
    "dc": "duoc", "dk": "duoc", "j": "gi", "ntn": "nhu the nao",
    "vs": "voi", "ng": "nguoi", "r": "roi", "wa": "qua", "nx": "nua", "trc": "truoc",
    "nc": "nuoc", "bn": "bao nhieu", "z": "vay", "mn": "moi nguoi", "bh": "bao gio",
    "ck": "chong", "vk": "vo",
}
_ABBREVIATION_RE = re.compile(r"\b(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))
                              + r")\b")
_DIGITS_RE = re.compile(r"\d+")


def fold(stripped: str) -> str:
    """Lowercased, unaccented text as the features read it: every number is 0 ("50cm" and
    "80cm" are the same height word) and shorthand is spelled out ("ko" -> "khong")."""
    return _ABBREVIATION_RE.sub(lambda m: ABBREVIATIONS[m.group()],
                                _DIGITS_RE.sub("0", stripped))


def canonical(text: str) -> str:
    """What the features read: NFC, lowercased, diacritics stripped, `fold`ed
    ('Cây ĐỔ ko dc 2 lần' -> 'cay do khong duoc 0 lan')."""
    return fold(strip_diacritics(normalize(text).lower()))


@dataclass(frozen=True)
class TriageParams:
    word_ngrams: tuple[int, int] = (1, 3)
    char_ngrams: tuple[int, int] = (2, 5)
    min_df: int = 2
    max_word_features: int = 60_000
    max_char_features: int = 60_000
    c_category: float = 10.0
    c_urgency: float = 10.0
    urgent_weight: float = 0.0  # 0: balanced class weights
    generated_weight: float = 0.1  # a generated report counts this much of a hand-written one
    override_weight: float = 3.0  # an operator's correction counts as this many hand-written ones
    phrase_scale: float = 1.0  # a phrase group's feature value per (sublinear) match; 0: none
    # The category reads the word n-grams only (False) or the character n-grams too (True).
    category_chars: bool = False
    random_state: int = 0

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self).items()}


@dataclass(frozen=True)
class TriageResult:
    urgency: Urgency
    category: str
    department: str
    confidence: float
    cues: tuple[str, ...]
    needs_review: bool
    p_urgent: float

    def as_line(self, report_id: str) -> dict:
        """The `ioc triage --out` line (DESIGN: Interfaces the project keeps stable)."""
        return {"id": report_id, "urgency": self.urgency.value, "category": self.category,
                "department": self.department, "confidence": round(self.confidence, 4),
                "cues": list(self.cues)}


@dataclass(frozen=True)
class PhraseGroup:
    """Phrases that say one thing about a report ("it has lasted for months"), in `canonical`
    form, and what they say (shown nowhere; for the reader of `data/phrases.json`)."""

    name: str
    says: str
    phrases: tuple[str, ...]


def read_phrases(path: Path | str = PHRASES_PATH) -> tuple[PhraseGroup, ...]:
    """The phrase groups of `data/phrases.json`; each phrase is `canonical`ised, so it may be
    written with or without diacritics. A bad file raises ValueError naming the group."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    groups = []
    for name, g in data["groups"].items():
        phrases = tuple(dict.fromkeys(" ".join(TOKEN_RE.findall(canonical(p)))
                                      for p in g.get("phrases", ())))
        if not g.get("says") or not phrases or "" in phrases:
            raise ValueError(f"{path}: group {name!r} needs a 'says' and non-empty phrases")
        groups.append(PhraseGroup(name, g["says"], phrases))
    return tuple(groups)


class Features:
    """TF-IDF word + char_wb n-grams over `canonical` text, each block L2-normalised, then one
    column per phrase group: `phrase_scale` x (1 + ln matches), not normalised."""

    def __init__(self, word_terms: list[str], word_idf: np.ndarray, char_terms: list[str],
                 char_idf: np.ndarray, word_ngrams: tuple[int, int],
                 char_ngrams: tuple[int, int], phrase_groups: Sequence[PhraseGroup] = (),
                 phrase_scale: float = 1.0) -> None:
        self.word_terms, self.char_terms = list(word_terms), list(char_terms)
        self.word_ngrams, self.char_ngrams = tuple(word_ngrams), tuple(char_ngrams)
        self.phrase_groups = tuple(phrase_groups) if phrase_scale > 0 else ()
        self.idf = np.concatenate([word_idf, char_idf, np.full(len(self.phrase_groups),
                                                               float(phrase_scale))])
        self._setup()

    @property
    def n_word(self) -> int:
        return len(self.word_terms)

    @property
    def n_tfidf(self) -> int:
        """Word and character n-gram columns; the phrase groups' come after them."""
        return len(self.word_terms) + len(self.char_terms)

    @property
    def n_features(self) -> int:
        return self.n_tfidf + len(self.phrase_groups)

    def _setup(self) -> None:
        self.__dict__.setdefault("phrase_groups", ())  # a model saved before phrase groups
        self._word_vocab = {t: i for i, t in enumerate(self.word_terms)}
        n_word = len(self.word_terms)
        self._char_vocab = {t: n_word + i for i, t in enumerate(self.char_terms)}
        self._phrase_vocab: dict[str, list[int]] = {}
        for g, group in enumerate(self.phrase_groups):
            for phrase in group.phrases:
                self._phrase_vocab.setdefault(phrase, []).append(self.n_tfidf + g)
        self._phrase_max_n = max((p.count(" ") + 1 for p in self._phrase_vocab), default=0)
        self._cache: dict[str, tuple[tuple[str, ...], list[int]]] = {}
        self._span_cache: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self.term_tokens = [tuple(t.split(" ")) for t in self.word_terms]
        # A phrase group's column -> its phrases as token tuples, longest first (the cue shown
        # is the longest phrase of the group found in the report).
        self.group_tokens = {self.n_tfidf + g: sorted((tuple(p.split(" ")) for p in
                                                       group.phrases), key=len, reverse=True)
                             for g, group in enumerate(self.phrase_groups)}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for key in ("_word_vocab", "_char_vocab", "_phrase_vocab", "_phrase_max_n", "_cache",
                    "_span_cache", "term_tokens", "group_tokens"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._setup()

    @classmethod
    def fit(cls, canonical_texts: Sequence[str], params: TriageParams,
            phrase_groups: Sequence[PhraseGroup] = ()) -> Features:
        from sklearn.feature_extraction.text import TfidfVectorizer

        word = TfidfVectorizer(**_vectorizer_args("word", params.word_ngrams, params.min_df,
                                                  params.max_word_features))
        char = TfidfVectorizer(**_vectorizer_args("char_wb", params.char_ngrams, params.min_df,
                                                  params.max_char_features))
        word.fit(canonical_texts)
        char.fit(canonical_texts)
        return cls(_terms(word), word.idf_, _terms(char), char.idf_, params.word_ngrams,
                   params.char_ngrams, phrase_groups, params.phrase_scale)

    def sklearn_vectorizers(self):
        """Equivalent scikit-learn vectorizers (the reference, and the raw rate in the bench)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        out = []
        for analyzer, terms, idf, ngrams in (
            ("word", self.word_terms, self.idf[: self.n_word], self.word_ngrams),
            ("char_wb", self.char_terms, self.idf[self.n_word:self.n_tfidf], self.char_ngrams),
        ):
            vec = TfidfVectorizer(**_vectorizer_args(analyzer, ngrams, 1, None),
                                  vocabulary={t: i for i, t in enumerate(terms)})
            vec.fit([""] if analyzer == "word" else [" "])  # a fixed vocabulary; idf set below
            vec.idf_ = idf
            out.append(vec)
        return out  # (the phrase-group columns have no scikit-learn equivalent)

    def _word(self, word: str) -> tuple[tuple[str, ...], list[int]]:
        """A lowercased whitespace-delimited word -> (its tokens, its char n-gram feature ids)."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        stripped = fold(strip_diacritics(word))
        ids: list[int] = []
        lo, hi = self.char_ngrams
        vocab = self._char_vocab
        for part in stripped.split():  # a spelled-out abbreviation may be several words
            padded = f" {part} "
            for n in range(lo, hi + 1):  # as sklearn's _char_wb_ngrams, short words once
                last = max(len(padded) - n, 0)
                for start in range(last + 1):
                    j = vocab.get(padded[start:start + n])
                    if j is not None:
                        ids.append(j)
                if last == 0:
                    break
        entry = (tuple(TOKEN_RE.findall(stripped)), ids)
        if len(self._cache) >= _WORD_CACHE_MAX:
            self._cache.clear()
        self._cache[word] = entry
        return entry

    def tokens_in(self, word: str) -> tuple[tuple[str, int, int], ...]:
        """A whitespace-delimited word of the original text -> its feature tokens, each with
        its start and end inside the word (the whole word when stripping changed its length,
        which only happens with combining marks NFC could not fold)."""
        hit = self._span_cache.get(word)
        if hit is not None:
            return hit
        stripped = fold(strip_diacritics(word.lower()))
        if len(stripped) == len(word):
            entry = tuple((t.group(), t.start(), t.end()) for t in TOKEN_RE.finditer(stripped))
        else:
            entry = tuple((t, 0, len(word)) for t in TOKEN_RE.findall(stripped))
        if len(self._span_cache) >= _WORD_CACHE_MAX:
            self._span_cache.clear()
        self._span_cache[word] = entry
        return entry

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        lo, hi = self.word_ngrams
        vocab, phrases = self._word_vocab, self._phrase_vocab
        top = max(hi, self._phrase_max_n)
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            tokens: list[str] = []
            for w in normalize(text).lower().split():
                toks, char_ids = self._word(w)
                tokens.extend(toks)
                indices.extend(char_ids)
            n_tok = len(tokens)
            for n in range(min(lo, 1), top + 1):
                for i in range(n_tok - n + 1):
                    gram = " ".join(tokens[i:i + n]) if n > 1 else tokens[i]
                    if lo <= n <= hi:
                        j = vocab.get(gram)
                        if j is not None:
                            indices.append(j)
                    if phrases:
                        groups = phrases.get(gram)
                        if groups is not None:
                            indices.extend(groups)
            indptr.append(len(indices))
        n_docs = len(indptr) - 1
        x = sparse.csr_matrix(
            (np.ones(len(indices)), np.asarray(indices, dtype=np.int32),
             np.asarray(indptr, dtype=np.int32)), shape=(n_docs, self.n_features))
        x.sum_duplicates()  # counts per (doc, feature), sorted indices
        x.data = (1.0 + np.log(x.data)) * self.idf[x.indices]  # sublinear tf x idf
        rows = np.repeat(np.arange(n_docs), np.diff(x.indptr))
        is_word = x.indices < self.n_word
        is_char = ~is_word & (x.indices < self.n_tfidf)
        squares = x.data * x.data
        word_norm = np.sqrt(np.bincount(rows[is_word], squares[is_word], minlength=n_docs))
        char_norm = np.sqrt(np.bincount(rows[is_char], squares[is_char], minlength=n_docs))
        norm = np.where(is_word, word_norm[rows], np.where(is_char, char_norm[rows], 1.0))
        x.data /= np.where(norm > 0, norm, 1.0)
        return x


def _vectorizer_args(analyzer: str, ngrams: tuple[int, int], min_df: int,
                     max_features: int | None) -> dict:
    return dict(analyzer=analyzer, ngram_range=tuple(ngrams), lowercase=False,
                token_pattern=TOKEN_PATTERN if analyzer == "word" else None,
                sublinear_tf=True, min_df=min_df,
                max_features=max_features, dtype=np.float64)


def _terms(vectorizer) -> list[str]:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, i in vectorizer.vocabulary_.items():
        terms[i] = term
    return terms


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def combine_urgency(p_urgent: np.ndarray, category_proba: np.ndarray,
                    urgent_columns: Sequence[int]) -> np.ndarray:
    """P(urgent) from the urgency model, raised to P(an always-urgent category)."""
    if not urgent_columns:
        return p_urgent
    return np.maximum(p_urgent, category_proba[:, list(urgent_columns)].sum(axis=1))


@dataclass
class Scores:
    x: sparse.csr_matrix
    category_proba: np.ndarray  # (n, categories)
    p_urgent: np.ndarray  # (n,)


@dataclass
class TriageModel:
    features: Features
    categories: tuple[str, ...]
    departments: dict[str, str]  # category -> department
    weights: np.ndarray  # (features, categories + 1): the last column is urgency
    bias: np.ndarray  # (categories + 1,)
    threshold: float = 0.5  # p_urgent at or above it: urgent
    review_below: float = 0.6  # confidence under it: an operator confirms
    model_version: str = ""
    params: dict = field(default_factory=dict)
    # Categories whose every training report was urgent (a fire is never routine): the
    # probability of one of them counts as a probability of urgency.
    urgent_categories: tuple[str, ...] = ()

    # -- scoring ---------------------------------------------------------------------------

    def scores(self, texts: Sequence[str]) -> Scores:
        x = self.features.transform(texts)
        z = np.asarray(x @ self.weights) + self.bias
        proba = _softmax(z[:, :-1])
        cols = [self.categories.index(c) for c in self.urgent_categories]
        return Scores(x, proba, combine_urgency(_sigmoid(z[:, -1]), proba, cols))

    def urgency_confidence(self, p_urgent: np.ndarray) -> np.ndarray:
        """How far p_urgent is from the threshold, on 0.5 (at it) … 1 (certain)."""
        t = self.threshold
        above = 0.5 + 0.5 * (p_urgent - t) / max(1.0 - t, 1e-9)
        below = 0.5 + 0.5 * (t - p_urgent) / max(t, 1e-9)
        return np.clip(np.where(p_urgent >= t, above, below), 0.0, 1.0)

    def predict(self, texts: Sequence[str], *, cues: bool = True) -> list[TriageResult]:
        if not texts:
            return []
        s = self.scores(texts)
        cat_j = s.category_proba.argmax(axis=1)
        cat_p = s.category_proba[np.arange(len(texts)), cat_j]
        urgent = s.p_urgent >= self.threshold
        confidence = np.minimum(cat_p, self.urgency_confidence(s.p_urgent))
        confidence[[i for i, t in enumerate(texts) if _degenerate(t)]] = 0.0
        ranked = self._ranked_words(s.x, cat_j) if cues else None
        out = []
        for i, text in enumerate(texts):
            category = self.categories[cat_j[i]]
            found: tuple[str, ...] = ()
            if ranked is not None:
                ptr, by_category, by_urgency = ranked
                seg = slice(ptr[i], ptr[i + 1])
                lists = ([by_urgency[0][seg], by_urgency[1][seg]] if urgent[i] else []) + [
                    by_category[0][seg], by_category[1][seg]]
                found = self._cues(text, lists)
            out.append(TriageResult(
                urgency=Urgency.URGENT if urgent[i] else Urgency.NORMAL,
                category=category,
                department=self.departments[category],
                confidence=float(confidence[i]),
                cues=found,
                needs_review=bool(confidence[i] < self.review_below),
                p_urgent=float(s.p_urgent[i]),
            ))
        return out

    def predict_one(self, text: str) -> TriageResult:
        return self.predict([text])[0]

    # -- cues --------------------------------------------------------------------------------

    def _ranked_words(self, x: sparse.csr_matrix, cat_j: np.ndarray):
        """Each report's word n-grams ranked by contribution (tf-idf x coefficient) to its
        category and to urgency, for the whole batch at once: (row pointers, (ids,
        contributions) by category, the same by urgency), as lists to slice per report."""
        n = x.shape[0]
        rows = np.repeat(np.arange(n), np.diff(x.indptr))
        f = self.features
        is_word = (x.indices < f.n_word) | (x.indices >= f.n_tfidf)  # words and phrase groups
        ids, vals, rows = x.indices[is_word], x.data[is_word], rows[is_word]
        ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).tolist()
        ranked = []
        for contrib in (vals * self.weights[ids, cat_j[rows]], vals * self.weights[ids, -1]):
            order = np.lexsort((-contrib, rows))  # by report, strongest first
            ranked.append((ids[order].tolist(), contrib[order].tolist()))
        return ptr, ranked[0], ranked[1]

    def _cues(self, text: str, lists: list[list]) -> tuple[str, ...]:
        """The whole words or phrases of `text` whose word n-grams pushed the decision most.

        `lists` holds (feature ids, contributions) pairs, strongest first: urgency's when the
        report is urgent, then its category's. Contribution = tf-idf value x the decided class's
        coefficient. Overlapping n-grams merge into one phrase, cut from the original text so
        it keeps its diacritics and case. Character n-grams are never shown: they are fragments.
        """
        if not lists[0]:
            return ()
        norm_text = normalize(text)
        found: list[str] = []
        spans: list[tuple[int, int]] = []
        for m in re.finditer(r"\S+", norm_text):
            for token, a, b in self.features.tokens_in(m.group()):
                found.append(token)
                spans.append((m.start() + a, m.start() + b))
        tokens = tuple(found)
        term_tokens = self.features.term_tokens
        group_tokens = self.features.group_tokens
        phrases: list[str] = []
        seen: set[str] = set()
        shown: list[tuple[int, int]] = []
        for ids, contrib in zip(lists[::2], lists[1::2], strict=True):
            bigrams: list[tuple[str, ...]] | None = None
            picked: list[tuple[int, int, float]] = []  # token span [a, b) and its score
            for j, c in zip(ids[:6], contrib[:6], strict=False):
                if c <= 0:
                    break
                if j in group_tokens:  # a phrase group: the longest of its phrases found
                    term = next((p for p in group_tokens[j] if _find(tokens, p) is not None),
                                None)
                    if term is None:
                        continue
                else:
                    term = term_tokens[j]
                if len(term) == 1 and j not in group_tokens:
                    # A lone syllable says less than the phrase it sits in ("nạn" vs "tai
                    # nạn"): widen it to the strongest helpful bigram around it, if any.
                    if bigrams is None:  # among the strongest 24 only: enough, and cheap
                        bigrams = [term_tokens[k] for k, ck in zip(ids[:24], contrib[:24],
                                                                   strict=False)
                                   if ck > 0 and k not in group_tokens
                                   and len(term_tokens[k]) == 2]
                    term = next((bg for bg in bigrams if term[0] in bg), term)
                at = _find(tokens, term)
                if at is None:
                    continue
                a, b = at, at + len(term)
                if not _joined(norm_text, spans, a, b):
                    continue
                while a < b and _dull(norm_text[spans[a][0]:spans[a][1]]):
                    a += 1
                while b > a and _dull(norm_text[spans[b - 1][0]:spans[b - 1][1]]):
                    b -= 1
                if a < b:
                    picked.append((a, b, c))
            for a, b, _ in _merge(picked)[:3]:
                phrase = norm_text[spans[a][0]:spans[b - 1][1]]
                key = phrase.lower()
                if key in seen or any(x <= a and b <= y for x, y in shown):
                    continue  # already shown, or inside a phrase already shown
                seen.add(key)
                shown.append((a, b))
                phrases.append(phrase)
        return tuple(phrases[:MAX_CUES])

    # -- persistence ---------------------------------------------------------------------------

    def save(self, path: Path | str = MODEL_PATH) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=("xz", 3))
        return path

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> TriageModel:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"no triage model at {path}; train one with `ioc triage train`")
        model = joblib.load(path)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a TriageModel")
        return model


def _degenerate(text: str) -> bool:
    """Long text made of a handful of words repeated over and over: a person must read it."""
    if len(text) < 200:
        return False
    words = text.split()
    return len(words) >= 20 and len(set(words)) < 0.1 * len(words)


@lru_cache(maxsize=65_536)
def _dull(word: str) -> bool:
    """A function word, a lone letter or a bare number: tells an operator nothing alone."""
    w = word.lower()
    if w.isdigit() or w in _STOP_EN or w in _STOP_VI:
        return True
    return w.isascii() and (len(w) < 2 or w in _STOP_VI_TYPED)


def _joined(norm_text: str, spans: list[tuple[int, int]], a: int, b: int) -> bool:
    """Tokens a..b-1 follow each other with only spaces between (no comma, no full stop)."""
    return all(not norm_text[spans[i][1]:spans[i + 1][0]].strip() for i in range(a, b - 1))


def _find(tokens: tuple[str, ...], term: tuple[str, ...]) -> int | None:
    """Where the token sequence `term` first occurs in `tokens`."""
    n, first = len(term), term[0]
    start = 0
    while True:
        try:
            i = tokens.index(first, start)
        except ValueError:
            return None
        if tokens[i:i + n] == term:
            return i
        start = i + 1


def _merge(picked: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Merge overlapping token spans; the strongest phrase first."""
    merged: list[list] = []
    for a, b, score in sorted(picked):
        if merged and a < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
            merged[-1][2] = max(merged[-1][2], score)
        else:
            merged.append([a, b, score])
    return [tuple(m) for m in sorted(merged, key=lambda m: -m[2])]


# -- training --------------------------------------------------------------------------------


def fit_category(x: sparse.csr_matrix, categories: Sequence[str], c: float,
                 sample_weight: np.ndarray | None, random_state: int):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, random_state=random_state)
    return model.fit(x, np.asarray(categories), sample_weight=sample_weight)


def fit_urgency(x: sparse.csr_matrix, urgent: Sequence[bool], c: float, urgent_weight: float,
                sample_weight: np.ndarray | None, random_state: int):
    """Class-weighted: an urgent report weighs as much as all the normal ones together (or
    `urgent_weight` times a normal one), so the model does not settle for the majority."""
    from sklearn.linear_model import LogisticRegression

    class_weight: dict | str = {0: 1.0, 1: urgent_weight} if urgent_weight > 0 else "balanced"
    model = LogisticRegression(C=c, max_iter=3000, class_weight=class_weight,
                               random_state=random_state)
    return model.fit(x, np.asarray(urgent, dtype=int), sample_weight=sample_weight)


def assemble(features: Features, category_lr, urgency_lr, departments: dict[str, str],
             params: TriageParams) -> TriageModel:
    """The two fitted regressions as one weight matrix (the last column is urgency). The
    category may have read fewer columns than urgency (not the phrase groups): its weights
    for the others are 0."""
    cat = category_lr.coef_.T
    cat = np.vstack([cat, np.zeros((features.n_features - cat.shape[0], cat.shape[1]))])
    weights = np.hstack([cat, urgency_lr.coef_.T]).astype(np.float32)
    bias = np.concatenate([category_lr.intercept_, urgency_lr.intercept_]).astype(np.float64)
    classes = tuple(str(c) for c in category_lr.classes_)
    return TriageModel(features=features, categories=classes,
                       departments={c: departments[c] for c in classes},
                       weights=np.ascontiguousarray(weights), bias=bias, params=params.to_dict())


def model_version(data: bytes, params: TriageParams, extra: dict | None = None) -> str:
    """'triage-' + a hash of the training data and every parameter that shaped the model."""
    h = hashlib.sha256(data)
    h.update(json.dumps({"params": params.to_dict(), **(extra or {})}, sort_keys=True).encode())
    return "triage-" + h.hexdigest()[:12]
