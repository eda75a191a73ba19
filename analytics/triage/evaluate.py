"""How triage is measured, and the evaluation on the frozen hand-written held-out set.

`measure` is the one definition of the figures (urgent recall and precision, category macro-F1,
how many go to review); training uses it on its validation and dev sets, `evaluate` on
`data/heldout/heldout.jsonl`, which nothing else reads: it is never used to train or tune.

Per variant (vi with diacritics, vi_ascii typed without, en), plus every Vietnamese text with its
diacritics stripped, and the rate at which a report and its stripped twin get the same answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analytics.triage.model import METRICS_PATH, MODEL_DIR, MODEL_PATH, TriageModel
from ioc.events import Urgency
from ioc.kafka import describe_validation_error
from ioc.taxonomy import load_taxonomy
from ioc.text import normalize, strip_diacritics

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
GENERATED_TRAIN = DATA_DIR / "generated" / "train.jsonl"
WRITTEN_DIR = DATA_DIR / "written"
DEV_PATH = DATA_DIR / "heldout" / "dev.jsonl"
HELDOUT_PATH = DATA_DIR / "heldout" / "heldout.jsonl"
HELDOUT_README = DATA_DIR / "heldout" / "README.md"
HELDOUT_METRICS_PATH = MODEL_DIR / "heldout_metrics.json"
# Every model ever scored on the held-out set, one line each: each use of the set is on record.
HELDOUT_HISTORY_PATH = MODEL_DIR / "heldout_history.jsonl"
CARD_PATH = Path(__file__).resolve().parents[2] / "docs" / "triage-model-card.md"

Variant = Literal["vi", "vi_ascii", "en"]
VARIANTS: tuple[Variant, ...] = ("vi", "vi_ascii", "en")
TARGETS = {"urgent_recall": 0.95, "urgent_precision": 0.70, "category_macro_f1": 0.80}


class LabelledText(BaseModel):
    """One labelled report: the generated set, the hand-written sets, operator overrides."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    lang: Literal["vi", "en"] | None = None
    variant: Variant | None = None
    category: str
    department: str | None = None
    urgency: Urgency

    @field_validator("category")
    @classmethod
    def _known_category(cls, v: str) -> str:
        codes = load_taxonomy().codes
        if v not in codes:
            raise ValueError(f"unknown category {v!r}; known: {', '.join(codes)}")
        return v

    @property
    def kind(self) -> Variant:
        """The variant, or a guess from lang and the text when the line does not say."""
        if self.variant:
            return self.variant
        if self.lang == "en":
            return "en"
        text = normalize(self.text)
        return "vi_ascii" if strip_diacritics(text) == text else "vi"


def read_labelled(path: Path | str,
                  schema: type[LabelledText] = LabelledText) -> list[LabelledText]:
    """Read a labelled JSONL file; a bad line raises ValueError naming the file and line."""
    return read_labelled_text(Path(path).read_text(encoding="utf-8"), path, schema)


def read_labelled_text(text: str, path: Path | str,
                       schema: type[LabelledText] = LabelledText) -> list[LabelledText]:
    """`read_labelled` on the text of a file already read (`path` names it in errors)."""
    rows = []
    for n, line in enumerate(text.split("\n"), start=1):  # not splitlines: JSON may hold U+2028
        if not line.strip():
            continue
        try:
            rows.append(schema.model_validate_json(line))
        except ValidationError as exc:
            raise ValueError(f"{path}:{n}: {describe_validation_error(exc)}") from None
    return rows


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def measure(model: TriageModel, rows: Sequence[LabelledText]) -> dict:
    """Urgency and category figures for `rows`, with the lists a person wants to read."""
    from sklearn.metrics import f1_score

    results = model.predict([r.text for r in rows], cues=False)
    truth_urgent = [r.urgency is Urgency.URGENT for r in rows]
    said_urgent = [p.urgency is Urgency.URGENT for p in results]
    tp = sum(t and s for t, s in zip(truth_urgent, said_urgent, strict=True))
    fp = sum(s and not t for t, s in zip(truth_urgent, said_urgent, strict=True))
    fn = sum(t and not s for t, s in zip(truth_urgent, said_urgent, strict=True))
    # Category figures count the reports that have one of the taxonomy's categories (a real
    # report may fit none: an assault, a landslide); urgency counts every report.
    codes = set(load_taxonomy().codes)
    known = [i for i, r in enumerate(rows) if r.category in codes]
    truth_cat = [rows[i].category for i in known]
    said_cat = [results[i].category for i in known]
    flagged = [p.needs_review for p in results]
    sure = [i for i, f in enumerate(flagged) if not f]
    return {
        "n": len(rows),
        "urgent": sum(truth_urgent),
        "urgent_recall": _ratio(tp, tp + fn),
        "urgent_precision": _ratio(tp, tp + fp),
        "category_macro_f1": round(float(f1_score(truth_cat, said_cat, average="macro",
                                                  zero_division=0)), 4) if known else None,
        "category_accuracy": _ratio(sum(a == b for a, b in zip(truth_cat, said_cat,
                                                                 strict=True)), len(known)),
        "review_share": _ratio(sum(flagged), len(rows)),
        "category_accuracy_not_reviewed": _ratio(
            sum(rows[i].category == results[i].category for i in sure
                if rows[i].category in codes), sum(rows[i].category in codes for i in sure)),
        "urgent_missed": [{"id": r.id, "text": r.text, "p_urgent": round(p.p_urgent, 4),
                           "needs_review": p.needs_review}
                          for r, t, p in zip(rows, truth_urgent, results, strict=True)
                          if t and p.urgency is not Urgency.URGENT],
        "category_errors": [{"id": r.id, "true": r.category, "said": p.category,
                             "confidence": round(p.confidence, 3)}
                            for r, p in zip(rows, results, strict=True)
                            if r.category in codes and r.category != p.category],
    }


def confusion(model: TriageModel, rows: Sequence[LabelledText]) -> dict:
    """Category confusion matrix: rows are the truth, columns what the model said."""
    codes = list(load_taxonomy().codes)
    said = [p.category for p in model.predict([r.text for r in rows], cues=False)]
    matrix = [[0] * len(codes) for _ in codes]
    for r, s in zip(rows, said, strict=True):
        if r.category in codes:
            matrix[codes.index(r.category)][codes.index(s)] += 1
    return {"labels": codes, "matrix": matrix}


def by_variant(model: TriageModel, rows: Sequence[LabelledText]) -> dict:
    """`measure` on all rows, on each variant, and on the Vietnamese ones stripped of diacritics,
    with the agreement between each Vietnamese report and its stripped twin."""
    out = {"all": measure(model, rows)}
    for v in VARIANTS:
        subset = [r for r in rows if r.kind == v]
        if subset:
            out[v] = measure(model, subset)
    accented = [r for r in rows if r.kind == "vi"]
    if accented:
        stripped = [r.model_copy(update={"text": strip_diacritics(normalize(r.text)),
                                         "variant": "vi_ascii"}) for r in accented]
        out["vi_stripped"] = measure(model, stripped)
        a = model.predict([r.text for r in accented], cues=False)
        b = model.predict([r.text for r in stripped], cues=False)
        same = sum((x.urgency, x.category) == (y.urgency, y.category)
                   for x, y in zip(a, b, strict=True))
        out["vi_stripped"]["agreement_with_diacritics"] = _ratio(same, len(accented))
    return out


def evaluate(heldout_path: Path | str = HELDOUT_PATH, model_path: Path | str = MODEL_PATH,
             out_path: Path | str = HELDOUT_METRICS_PATH,
             card_path: Path | str | None = CARD_PATH,
             training_metrics_path: Path | str = METRICS_PATH,
             history_path: Path | str = HELDOUT_HISTORY_PATH) -> dict:
    """Evaluate the trained model on the held-out set; write the figures, add them to the
    history of the set's uses, and write the model card."""
    model = TriageModel.load(model_path)
    rows = read_labelled(heldout_path)
    report = {
        "model_version": model.model_version,
        "heldout": str(Path(heldout_path).name),
        "threshold": model.threshold,
        "review_below": model.review_below,
        "targets": TARGETS,
        "figures": by_variant(model, rows),
        "confusion": confusion(model, rows),
    }
    overall = report["figures"]["all"]
    report["targets_met"] = {
        "urgent_recall": (overall["urgent_recall"] or 0) >= TARGETS["urgent_recall"],
        "urgent_precision": (overall["urgent_precision"] or 0) >= TARGETS["urgent_precision"],
        "category_macro_f1": (overall["category_macro_f1"] or 0) >= TARGETS["category_macro_f1"],
    }
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    Path(out_path).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")
    report["history"] = _record_use(Path(history_path), report)
    from analytics.triage import real

    report["real"] = real.evaluate_real(model) if real.REAL_TEST.exists() else None
    if card_path is not None:
        training = (json.loads(Path(training_metrics_path).read_text(encoding="utf-8"))
                    if Path(training_metrics_path).exists() else {})
        write_card(card_path, model, report, training)
    return report


def _record_use(path: Path, report: dict) -> list[dict]:
    """Append this model's figures to the history (once per model); return the whole history."""
    history = ([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()] if path.exists() else [])
    if not any(h["model_version"] == report["model_version"] for h in history):
        overall = report["figures"]["all"]
        history.append({"model_version": report["model_version"],
                        "date": datetime.now(UTC).date().isoformat(),
                        "heldout": report["heldout"], "threshold": report["threshold"],
                        **{k: overall[k] for k in TARGETS}})
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(history[-1], ensure_ascii=False) + "\n")
    return history


# -- the model card ---------------------------------------------------------------------------


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def missed_table(missed: Sequence[dict]) -> list[str]:
    """The urgent reports a model missed, as a Markdown table ("None." when there are none)."""
    if not missed:
        return ["None."]
    lines = ["| id | P(urgent) | sent to review | text |", "|---|---:|---|---|"]
    for m in missed:
        text = m["text"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {m['id']} | {m['p_urgent']:.3f} | "
                     f"{'yes' if m['needs_review'] else 'no'} | {text} |")
    return lines


def _figures_table(figures: dict) -> list[str]:
    lines = ["| set | reports | urgent | urgent recall | urgent precision | category macro-F1 "
             "| category accuracy | sent to review | agreement with diacritics |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    names = {"all": "all", "vi": "vi (with diacritics)", "vi_ascii": "vi_ascii (typed without)",
             "en": "en", "vi_stripped": "vi, diacritics stripped by us"}
    for key in ("all", "vi", "vi_ascii", "en", "vi_stripped"):
        if key not in figures:
            continue
        f = figures[key]
        agree = pct(f["agreement_with_diacritics"]) if "agreement_with_diacritics" in f else ""
        lines.append(f"| {names[key]} | {f['n']} | {f['urgent']} | {pct(f['urgent_recall'])} | "
                     f"{pct(f['urgent_precision'])} | {f['category_macro_f1']:.3f} | "
                     f"{pct(f['category_accuracy'])} | {pct(f['review_share'])} | {agree} |")
    return lines


def _confusion_table(conf: dict) -> list[str]:
    labels = conf["labels"]
    short = [c[:6] for c in labels]
    lines = ["| true \\ said | " + " | ".join(short) + " |",
             "|---|" + "---:|" * len(labels)]
    for code, row in zip(labels, conf["matrix"], strict=True):
        if sum(row) == 0:
            continue
        cells = [str(v) if v else "·" for v in row]
        lines.append(f"| {code} | " + " | ".join(cells) + " |")
    return lines


def write_card(path: Path | str, model: TriageModel, report: dict, training: dict) -> None:
    figures = report["figures"]
    overall = figures["all"]
    met = report["targets_met"]
    data = training.get("data", {})
    chosen = training.get("chosen", {})
    dev = training.get("dev", {}).get("all")
    missed = overall["urgent_missed"]
    lines = [
        "# Triage model card",
        "",
        f"Model `{model.model_version}` (`analytics/triage/model/triage.joblib`), evaluated "
        f"{datetime.now(UTC).date().isoformat()} by `ioc triage evaluate`. This file is "
        "written by `analytics/triage/evaluate.py`; edit the code, not the file.",
        "",
        "## What it is",
        "",
        "It reads the text of a citizen report. It returns a category (one of the 15 in "
        "`ioc/data/taxonomy.json`) and the department that handles it. It also returns an "
        "urgency (`urgent` or `normal`), a confidence, and the cues: whole words or phrases "
        "from the report, with their diacritics, that pushed the decision most. It reads "
        "Vietnamese with diacritics, Vietnamese typed without them, and English.",
        "",
        "- Features: TF-IDF over word 1–3-grams and character 2–5-grams inside words. Both "
        "are computed on the text after NFC normalisation, lowercasing and **diacritic "
        "stripping**, so \"Cây đổ\" and \"cay do\" are the same input. A report and its "
        "unaccented twin therefore always get the same category and urgency. The cost is that "
        "the model cannot use diacritics to tell apart words that differ only by them "
        "(e.g. \"đèn\" lamp and \"đến\" to). Shorthand is spelled out first (\"ko dc\" "
        "reads as \"không được\", \"nc\" as \"nước\") and every number is 0, so \"50cm\" "
        "and \"80cm\" are the same height word; cues still show the words as typed.",
        f"- Phrase groups ({len(model.features.phrase_groups)}, "
        "`analytics/triage/data/phrases.json`): one feature each, the number of the group's "
        "phrases in the report. They say how long a problem has lasted (\"mấy năm nay\", "
        "\"for months\"), whether it keeps coming back (\"mỗi khi mưa\"), is over or fixed, "
        "or is happening now (\"từ tối qua\", \"still rising\"), and whether people are hurt "
        "or trapped, health is threatened (\"không dám dùng\", \"khó thở\") or water is "
        "measured against the body or the house (\"tới đầu gối\"). What training teaches "
        "about some phrases of a group carries to the others. A group that moves a decision "
        "shows the phrase it matched as a cue.",
        "- Category: multinomial logistic regression on the word n-grams only (the character "
        "n-grams and the phrase groups made it worse on real reports). Urgency: a separate "
        "class-weighted logistic regression on every feature. Its threshold is set low on "
        "purpose (see below), because a missed urgent report is the worst error: it must get "
        "a response within 2 hours.",
        f"- Urgent when P(urgent) ≥ {model.threshold:.3f}. Confidence = the lower of the category "
        "probability and the urgency certainty (0.5 at the threshold, 1 far from it). "
        f"Below {model.review_below:.2f}, the result is flagged `needs_review`, and an operator "
        "confirms it.",
        f"- Size on disk: {_size_mb(MODEL_PATH)} MB. Deterministic: the same data and "
        "parameters give the same model and the same version string (a hash of both).",
        "",
        "## Training data: generated and hand-written",
        "",
        f"- {data.get('train_rows', '?')} reports written by the project's report simulator "
        "(`simulators/reports.py`, phrasing in `simulators/data/report_templates.json`), "
        "exported by `ioc triage dataset` to `analytics/triage/data/generated/train.jsonl`.",
        f"- {data.get('written_rows', 0)} reports written by hand for training "
        "(`analytics/triage/data/written/`, see its README): English, Vietnamese with and "
        "without diacritics, and hard cases (pushy words without danger, calm reports of real "
        "danger, two problems in one report). Their authors did not see the held-out set. A "
        f"generated report weighs ×{chosen.get('generated_weight', '?')} a hand-written one.",
        "- No real citizen text is trained on: the real set (`analytics/triage/data/real/`) "
        "is for measuring only, its dev part to choose the threshold. Each set is split by "
        f"text into rows to fit ({data.get('fit_rows', '?')} in all) and rows to validate "
        f"({data.get('validation_rows', '?')} generated, "
        f"{data.get('written_validation_rows', 0)} hand-written); no text is on both sides.",
        f"- Operator overrides: {data.get('override_rows', 0)} rows (weighted "
        f"×{model.params.get('override_weight', '?')}); `ioc triage retrain` folds them in.",
        f"- Tuning: the weight of generated text, C for each model and the urgency threshold were "
        f"chosen on the validation rows and on the hand-written dev set "
        f"(`analytics/triage/data/heldout/dev.jsonl`, {data.get('dev_rows', 0)} reports), and "
        f"on the real dev part ({data.get('real_dev_rows', 0)} reports, recall ≥ "
        f"{chosen.get('real_recall_target', '?')} there). "
        f"Chosen: C(category) = {chosen.get('c_category', '?')}, C(urgency) = "
        f"{chosen.get('c_urgency', '?')}, threshold = {chosen.get('threshold', '?')} "
        f"(for recall ≥ {chosen.get('recall_target', '?')} on each of the project's sets). "
        "The held-out set was not used for any of this.",
    ]
    if dev:
        lines += ["", f"On the dev set (which was used to tune, so these are optimistic): urgent "
                  f"recall {pct(dev['urgent_recall'])}, precision "
                  f"{pct(dev['urgent_precision'])}, category macro-F1 "
                  f"{dev['category_macro_f1']:.3f}."]
    if report.get("real"):
        from analytics.triage.real import card_lines

        lines[lines.index("## What it is"):lines.index("## What it is")] = [
            *card_lines(report["real"]), ""]
    lines += [
        "",
        "## Held-out evaluation (hand-written; a regression check)",
        "",
        f"`analytics/triage/data/heldout/heldout.jsonl` ({overall['n']} reports, "
        f"{overall['urgent']} urgent). It was written by hand, independently of the simulator "
        f"templates, and frozen before it was first used; "
        f"{_heldout_origin()} It is used only here, once the model and threshold are final.",
        "",
        *_figures_table(figures),
        "",
        f"Targets: urgent recall ≥ {TARGETS['urgent_recall']:.2f} at precision ≥ "
        f"{TARGETS['urgent_precision']:.2f}, category macro-F1 ≥ "
        f"{TARGETS['category_macro_f1']:.2f}. Met on the whole set: urgent recall "
        f"{'yes' if met['urgent_recall'] else '**no**'}, urgent precision "
        f"{'yes' if met['urgent_precision'] else '**no**'}, category macro-F1 "
        f"{'yes' if met['category_macro_f1'] else '**no**'}.",
        "",
        *_shortfalls(figures, met, model),
        "",
        "Every model scored on this set so far (`analytics/triage/model/heldout_history.jsonl`; "
        "the set is read once per model, after its training and tuning are final):",
        "",
        "| model | date | threshold | urgent recall | urgent precision | category macro-F1 |",
        "|---|---|---:|---:|---:|---:|",
        *[f"| `{h['model_version']}` | {h['date']} | {h['threshold']} | "
          f"{pct(h['urgent_recall'])} | {pct(h['urgent_precision'])} | "
          f"{h['category_macro_f1']:.3f} |" for h in report.get("history", [])],
        "",
        f"### Urgent reports it missed ({len(missed)}, "
        f"{sum(m['needs_review'] for m in missed)} of them flagged for review)",
        "",
    ]
    lines += missed_table(missed)
    lines += [
        "",
        "### Category confusion (held-out; rows: truth, columns: the model; · is 0)",
        "",
        *_confusion_table(report["confusion"]),
        "",
        "## Limits",
        "",
        "- **It was never trained on a real citizen report.** It learnt from simulator "
        "phrasing and from reports written by hand to read like residents'. On real reports "
        "(above) it keeps the recall it was tuned for only by flagging many normal reports as "
        f"urgent{_real_shortfall(report.get('real'))}, and its category macro-F1 is below the "
        "hand-written sets'. Operator overrides, fed back through `ioc triage retrain`, are "
        "the way to close that gap.",
        "- What it still misses on real text, and why (the table above, read after the "
        "model was final): a flood told by how unusual it is (\"mấy chục năm ở đây, chưa bao "
        "giờ thấy nước ngập sâu như vậy\"), where the phrase group for long-lasting problems "
        "matches \"mấy chục năm\" and cannot see the \"never\" that turns it around; a "
        "crash told as one fragment of a story, with nobody hurt in the words; a road that "
        "subsided \"two days ago\" and is still a hazard, which reads as an old problem. Its "
        "false alarms (measured on the dev part) are long-standing problems told with danger "
        "or health words (\"nguy cơ cháy nổ\", \"trẻ em bị viêm phổi\") and past events "
        "told vividly (a fire survived weeks ago, a tree that fell yesterday and was cleared). "
        "The phrase groups match words, not grammar: a negation or a contrast between two "
        "times is beyond them. Real Vietnamese typed without diacritics could not be found "
        "for the test set, so that variant is measured by stripping the diacritics.",
        f"- {_real_review(report.get('real'))} of real reports go to review at this "
        "threshold: the confidence is the lower of the category's and the urgency's, and on "
        "real text the category is often unsure. What skips review reaches the recall in the "
        "table; review is the safety net for the rest.",
        "- It reads text only. It does not use the photo, the location, the time or the "
        "category the citizen picked. It does not know the place: \"ngập 30 cm\" is the same "
        "on any street.",
        "- Urgency comes from the words that describe the situation (people hurt or trapped, "
        "fire, live wires, a road blocked). It cannot check that the situation is real, and a "
        "calm description of a dangerous situation in words it has never seen can pass as "
        "normal. Every report is shown to operators; triage only orders the queue.",
        "- It uses one category per report. A report that describes two problems gets the "
        "stronger one.",
        *([f"- Every training report of {', '.join(model.urgent_categories)} was urgent, so "
           "the model takes any report it reads as one of them to be urgent (e.g. a "
           "fire-safety complaint about a blocked exit)."] if model.urgent_categories else []),
        "- It reads Vietnamese and English only. Text in any other language gets an arbitrary "
        "category, and the confidence may not show it.",
        "- The confidence is a ranking signal. It is not a calibrated probability.",
        "",
        "## Intended use",
        "",
        "It proposes a category, a department and an urgency for each incoming report in "
        "the control room (`ioc.reports.triaged`), so that urgent reports rise to the top of "
        "the operators' queue and the SLA clock is right from the start. A human confirms "
        "every result flagged `needs_review`, and operators can override any result. "
        "Overrides are kept as labelled data. The model must not reject, close or answer a "
        "report on its own.",
        "",
    ]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def _shortfalls(figures: dict, met: dict, model: TriageModel) -> list[str]:
    """Plain words on the targets the model missed: they are reported, not tuned away."""
    overall = figures["all"]
    lines = []
    if not met["urgent_precision"]:
        lines.append(
            f"Urgent precision is {pct(overall['urgent_precision'])}, under the 70 % target: "
            f"about {1 - (overall['urgent_precision'] or 0):.0%} of the reports flagged urgent "
            f"are not. The threshold ({model.threshold:.3f}) was chosen on the dev set for "
            "recall, and it was not moved after this run.")
    if not met["urgent_recall"]:
        lines.append(f"Urgent recall is {pct(overall['urgent_recall'])}, under the 95 % target.")
    if not met["category_macro_f1"]:
        lines.append(f"Category macro-F1 is {overall['category_macro_f1']:.3f}, under 0.80.")
    weakest = min((v for v in VARIANTS if v in figures),
                  key=lambda v: figures[v]["category_macro_f1"] or 0)
    lines.append(
        f"The weakest variant is `{weakest}` (category macro-F1 "
        f"{figures[weakest]['category_macro_f1']:.3f}, urgent precision "
        f"{pct(figures[weakest]['urgent_precision'])}, "
        f"{pct(figures[weakest]['review_share'])} sent to review).")
    return [" ".join(lines)]


def _real_shortfall(real: dict | None) -> str:
    """': 38 % of its urgent flags are wrong' from the real test part's figures, if scored."""
    precision = real["test"]["all"]["urgent_precision"] if real else None
    return "" if precision is None else f": {1 - precision:.0%} of its urgent flags are wrong"


def _real_review(real: dict | None) -> str:
    """The share of the real test part sent to review, in words for the card."""
    share = real["test"]["all"]["review_share"] if real else None
    return "Many" if share is None else pct(share)


def _size_mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f}" if path.exists() else "?"


def _heldout_origin() -> str:
    """The first point of the held-out README's "How the sets were made": who wrote it, how."""
    if not HELDOUT_README.exists():
        return "see its README."
    text = HELDOUT_README.read_text(encoding="utf-8")
    section = text.split("## How the sets were made", 1)
    if len(section) < 2:
        return "see its README."
    body = section[1].split("\n## ", 1)[0]
    points = [" ".join(p.split()) for p in body.split("\n- ") if p.strip()]
    return (f"its README says: \"{points[0].lstrip('- ')}\"" if points else "see its README.")
