"""The real-text evaluation set: residents' own words from public sources, labelled by the rubric.

`data/real/dev.jsonl` may be tuned on (training reads it to choose the urgency threshold);
`data/real/test.jsonl` is frozen (its SHA-256 is in its README and checked by a test) and only
`ioc triage evaluate` reads it. Neither is ever trained on: training text stays the project's own.

The set is small, so every figure comes with its 95 % interval: Wilson's for recall and
precision, a seeded bootstrap for the category macro-F1. Figures are given as written and with
every text stripped of its diacritics, the way a quarter of residents type.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pydantic import field_validator

from analytics.triage.evaluate import (
    DATA_DIR,
    LabelledText,
    by_variant,
    measure,
    missed_table,
    pct,
    read_labelled,
)
from analytics.triage.model import MODEL_DIR, TriageModel
from ioc.events import Urgency
from ioc.taxonomy import load_taxonomy
from ioc.text import normalize, strip_diacritics

REAL_DIR = DATA_DIR / "real"
REAL_DEV = REAL_DIR / "dev.jsonl"
REAL_TEST = REAL_DIR / "test.jsonl"
REAL_METRICS_PATH = MODEL_DIR / "real_metrics.json"
# Every model ever scored on the frozen test part, one line each.
REAL_HISTORY_PATH = MODEL_DIR / "real_history.jsonl"
PR_CURVE_PATH = Path(__file__).resolve().parents[2] / "docs" / "img" / "triage-pr-real.png"
OTHER = "other"  # a real report that fits none of the 15 categories (an assault, a landslide)
BOOTSTRAP = 1000


class RealText(LabelledText):
    """A real report: its text verbatim, where it was published, and its rubric labels."""

    source: str
    source_kind: str = ""

    @field_validator("category")
    @classmethod
    def _known_category(cls, v: str) -> str:
        codes = load_taxonomy().codes
        if v != OTHER and v not in codes:
            raise ValueError(f"unknown category {v!r}; known: {OTHER}, {', '.join(codes)}")
        return v


def read_real(path: Path | str) -> list[RealText]:
    return read_labelled(path, RealText)


def stripped(rows: Sequence[LabelledText]) -> list[LabelledText]:
    """Every text without its diacritics (English rows are unchanged by it)."""
    return [r.model_copy(update={"text": strip_diacritics(normalize(r.text))}) for r in rows]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of a proportion k/n."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def macro_f1(truth: Sequence[str], said: Sequence[str]) -> float:
    labels = sorted(set(truth))
    f1s = []
    for c in labels:
        tp = sum(t == c and s == c for t, s in zip(truth, said, strict=True))
        fp = sum(t != c and s == c for t, s in zip(truth, said, strict=True))
        fn = sum(t == c and s != c for t, s in zip(truth, said, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s)) if f1s else 0.0


def bootstrap_f1(truth: Sequence[str], said: Sequence[str],
                 seed: int = 0) -> tuple[float, float] | None:
    """The 95 % percentile interval of the macro-F1 over `BOOTSTRAP` resamples (seeded)."""
    if not truth:
        return None
    rng = np.random.default_rng(seed)
    n = len(truth)
    values = []
    for _ in range(BOOTSTRAP):
        idx = rng.integers(0, n, n)
        values.append(macro_f1([truth[i] for i in idx], [said[i] for i in idx]))
    lo, hi = np.percentile(values, [2.5, 97.5])
    return round(float(lo), 4), round(float(hi), 4)


def with_intervals(model: TriageModel, rows: Sequence[LabelledText]) -> dict:
    """`measure`, plus 95 % intervals and what the review step adds to recall."""
    f = measure(model, rows)
    results = model.predict([r.text for r in rows], cues=False)
    urgent = [r.urgency is Urgency.URGENT for r in rows]
    said = [p.urgency is Urgency.URGENT for p in results]
    review = [p.needs_review for p in results]
    tp = sum(u and s for u, s in zip(urgent, said, strict=True))
    f["urgent_recall_ci"] = wilson(tp, sum(urgent))
    f["urgent_precision_ci"] = wilson(tp, sum(said))
    scored = [(r.category, p.category) for r, p in zip(rows, results, strict=True)
              if r.category != OTHER]
    f["category_macro_f1_ci"] = bootstrap_f1([t for t, _ in scored], [s for _, s in scored])
    # The operator's safety net: an urgent report the model calls normal is still caught when
    # it is sent to review. What skips review must stand on the model alone.
    skip = [i for i, r in enumerate(review) if not r]
    skip_urgent = [i for i in skip if urgent[i]]
    f["urgent_recall_not_reviewed"] = (round(sum(said[i] for i in skip_urgent)
                                             / len(skip_urgent), 4) if skip_urgent else None)
    caught = sum(u and (s or r) for u, s, r in zip(urgent, said, review, strict=True))
    f["urgent_caught_or_reviewed"] = round(caught / sum(urgent), 4) if any(urgent) else None
    return f


def figures(model: TriageModel, rows: Sequence[LabelledText]) -> dict:
    """As written (all, and per variant) and with every text stripped of diacritics."""
    out = {k: v for k, v in by_variant(model, rows).items() if k != "vi_stripped"}
    out["all"] = with_intervals(model, rows)
    out["all_stripped"] = with_intervals(model, stripped(rows))
    return out


def curve(model: TriageModel, rows: Sequence[LabelledText]) -> dict:
    """Precision and recall of the urgent class at every threshold that changes them."""
    p = np.array([r.p_urgent for r in model.predict([r.text for r in rows], cues=False)])
    y = np.array([r.urgency is Urgency.URGENT for r in rows])
    points = []
    for t in sorted(set(np.round(p, 4).tolist()) | {model.threshold}):
        said = p >= t
        tp = int(np.sum(said & y))
        points.append({"threshold": t, "recall": tp / max(int(y.sum()), 1),
                       "precision": tp / max(int(said.sum()), 1) if said.any() else 1.0})
    return {"points": points}


def draw_curves(curves: dict[str, dict], threshold: float, path: Path | str) -> Path:
    """The precision-recall picture of the model card, the chosen threshold marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    for (name, c), style in zip(curves.items(), ("-", "--", "-."), strict=False):
        pts = c["points"]  # dashed over solid: identical curves both stay visible
        ax.plot([q["recall"] for q in pts], [q["precision"] for q in pts], label=name,
                drawstyle="steps-post", linestyle=style, linewidth=1.6)
        at = min(pts, key=lambda q: abs(q["threshold"] - threshold))
        ax.plot([at["recall"]], [at["precision"]], "o", color=ax.lines[-1].get_color())
    ax.axvline(0.95, color="grey", linestyle=":", linewidth=1)
    ax.axhline(0.70, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("urgent recall")
    ax.set_ylabel("urgent precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Triage on real reports (dots: threshold {threshold:.3f}; "
                 "dotted: targets)", fontsize=9)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})  # no version stamp: the same PNG each run
    plt.close(fig)
    return path


def evaluate_real(model: TriageModel, test_path: Path | str = REAL_TEST,
                  dev_path: Path | str = REAL_DEV,
                  out_path: Path | str = REAL_METRICS_PATH,
                  history_path: Path | str = REAL_HISTORY_PATH,
                  picture_path: Path | str | None = PR_CURVE_PATH) -> dict:
    """Score the model on the frozen real test part (and the dev part, marked as tuned on)."""
    test, dev = read_real(test_path), read_real(dev_path) if Path(dev_path).exists() else []
    report = {"model_version": model.model_version, "threshold": model.threshold,
              "test": figures(model, test), "dev": figures(model, dev) if dev else None}
    if picture_path is not None:
        curves = {"test, as written": curve(model, test),
                  "test, diacritics stripped": curve(model, stripped(test))}
        if dev:
            curves["dev (tuned on)"] = curve(model, dev)
        draw_curves(curves, model.threshold, picture_path)
        report["picture"] = Path(picture_path).name
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    Path(out_path).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")
    report["history"] = _record(Path(history_path), report)
    return report


def _record(path: Path, report: dict) -> list[dict]:
    history = ([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()] if path.exists() else [])
    if not any(h["model_version"] == report["model_version"] for h in history):
        a, s = report["test"]["all"], report["test"]["all_stripped"]
        history.append({"model_version": report["model_version"],
                        "date": datetime.now(UTC).date().isoformat(), "set": REAL_TEST.name,
                        "threshold": report["threshold"],
                        "urgent_recall": a["urgent_recall"],
                        "urgent_precision": a["urgent_precision"],
                        "category_macro_f1": a["category_macro_f1"],
                        "stripped_urgent_recall": s["urgent_recall"],
                        "stripped_urgent_precision": s["urgent_precision"],
                        "stripped_category_macro_f1": s["category_macro_f1"]})
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(history[-1], ensure_ascii=False) + "\n")
    return history


# -- the model card's lead section -------------------------------------------------------------


def _ci(ci: Sequence[float] | None, percent: bool = True) -> str:
    if not ci:
        return ""
    lo, hi = ci
    return f" ({pct(lo)}–{pct(hi)})" if percent else f" ({lo:.3f}–{hi:.3f})"


def card_lines(report: dict) -> list[str]:
    """'On real reports': the figures the card and the README lead with."""
    t = report["test"]
    dev = report.get("dev")
    n_dev = dev["all"]["n"] if dev else 0
    rows = [("as written", t["all"]), ("diacritics stripped", t["all_stripped"])]
    rows += [(f"only `{v}`", t[v]) for v in ("vi", "vi_ascii", "en") if v in t]
    lines = [
        "## On real reports",
        "",
        f"The frozen test part of the real-text set (`analytics/triage/data/real/test.jsonl`, "
        f"{t['all']['n']} reports, {t['all']['urgent']} urgent): residents' own words from "
        "newspapers, reader letters, hotline columns and social posts, labelled by the rubric "
        "in its README. It is never trained or tuned on; the dev part "
        f"({n_dev} reports) helped choose the threshold. In brackets: 95 % intervals (Wilson "
        "for recall and precision, a 1,000-sample bootstrap for macro-F1).",
        "",
        "| set | reports | urgent | urgent recall | urgent precision | category macro-F1 "
        "| sent to review | recall of what skips review | urgent caught or sent to review |",
        "|---|---:|---:|---|---|---|---:|---:|---:|",
    ]
    for name, f in rows:
        f1 = f["category_macro_f1"]
        lines.append(
            f"| {name} | {f['n']} | {f['urgent']} | {pct(f['urgent_recall'])}"
            f"{_ci(f.get('urgent_recall_ci'))} | {pct(f['urgent_precision'])}"
            f"{_ci(f.get('urgent_precision_ci'))} | "
            + ("–" if f1 is None else f"{f1:.3f}{_ci(f.get('category_macro_f1_ci'), False)}")
            + f" | {pct(f['review_share'])} | {pct(f.get('urgent_recall_not_reviewed'))} | "
            f"{pct(f.get('urgent_caught_or_reviewed'))} |")
    if dev:
        d = dev["all"]
        lines += ["", f"On the dev part (tuned on, so optimistic): urgent recall "
                  f"{pct(d['urgent_recall'])}, precision {pct(d['urgent_precision'])}, "
                  f"category macro-F1 {d['category_macro_f1']:.3f}."]
    if report.get("picture"):
        lines += ["", f"![Precision and recall of the urgent class on real reports]"
                  f"(img/{report['picture']})"]
    missed = t["all"]["urgent_missed"]
    lines += ["", f"### Real urgent reports it missed ({len(missed)}; "
              f"{sum(m['needs_review'] for m in missed)} of them sent to review)", ""]
    lines += missed_table(missed)
    lines += ["", "Every model scored on the real test part "
              "(`analytics/triage/model/real_history.jsonl`):", "",
              "| model | date | threshold | recall | precision | macro-F1 | recall stripped "
              "| precision stripped | macro-F1 stripped |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for h in report.get("history", []):
        lines.append(f"| `{h['model_version']}` | {h['date']} | {h['threshold']} | "
                     f"{pct(h['urgent_recall'])} | {pct(h['urgent_precision'])} | "
                     f"{h['category_macro_f1']:.3f} | {pct(h['stripped_urgent_recall'])} | "
                     f"{pct(h['stripped_urgent_precision'])} | "
                     f"{h['stripped_category_macro_f1']:.3f} |")
    return lines
