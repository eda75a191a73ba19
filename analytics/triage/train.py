"""Reproducible training of the triage model: labelled text in, model and metrics out.

1. Read the generated set (`ioc triage dataset` writes it), the hand-written training sets
   (`data/written/*.jsonl`) and, optionally, operator overrides (same schema). A generated
   report weighs `generated_weight` of a hand-written one (chosen from a small grid: there are
   many more of them, and they are more regular), an override `override_weight` times one.
2. Split the generated and the written sets by text (a hash, so the split is stable): 85 % of
   the generated and 75 % of the written texts to fit, the rest to validate; no text is on both
   sides. Overrides go to the fitting side only.
3. Fit the features once, then each weight and C of a small grid for the category and urgency
   models. The urgency threshold keeps urgent recall >= `recall_target` on every tuning set
   (the validation splits and the hand-written dev set, `data/heldout/dev.jsonl`) and is
   otherwise the best F2 (`choose_threshold`). Among the grid, the best mean score on the
   hand-written tuning sets and the real dev part (`data/real/dev.jsonl`: residents' own words,
   read to choose, never to fit) wins: generated text is too regular to choose between models.
4. Save the model (joblib) and `metrics.json`.

The held-out set (`data/heldout/heldout.jsonl`) and the real test part (`data/real/test.jsonl`)
are never read here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from analytics.triage.evaluate import (
    DEV_PATH,
    GENERATED_TRAIN,
    WRITTEN_DIR,
    LabelledText,
    by_variant,
    read_labelled,
    read_labelled_text,
)
from analytics.triage.model import (
    METRICS_PATH,
    MODEL_PATH,
    PHRASES_PATH,
    Features,
    TriageParams,
    assemble,
    canonical,
    combine_urgency,
    fit_category,
    fit_urgency,
    model_version,
    read_phrases,
)
from analytics.triage.real import OTHER, REAL_DEV, read_real
from ioc.events import Urgency
from ioc.taxonomy import load_taxonomy

logger = logging.getLogger(__name__)

VALIDATION_SHARE = 0.15
WRITTEN_VALIDATION_SHARE = 0.25
C_CATEGORY_GRID = (3.0, 10.0, 30.0)
C_URGENCY_GRID = (1.0, 3.0, 10.0, 30.0)
GENERATED_WEIGHT_GRID = (1.0, 0.3, 0.1)
RECALL_TARGET = 0.97  # above the 0.95 goal: a margin for text unlike what we tuned on
# On the real dev part: residents' words, unlike anything trained on, where the 0.95 goal is
# what the threshold must reach (there is no margin left to ask for).
REAL_RECALL_TARGET = 0.95
REVIEW_BELOW = 0.6


def in_validation(text: str, share: float = VALIDATION_SHARE) -> bool:
    """A stable share of distinct texts, whatever their order in the file."""
    digest = hashlib.sha256(canonical(text).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def read_written(folder: Path | None) -> tuple[list[LabelledText], bytes]:
    """Every hand-written training file in `folder` (sorted, so the order is stable), and the
    bytes read: the model's version hashes what was trained on, not what is there later."""
    if folder is None or not folder.is_dir():
        return [], b""
    rows: list[LabelledText] = []
    read = b""
    for path in sorted(folder.glob("*.jsonl")):
        data = path.read_bytes()
        read += data
        rows += read_labelled_text(data.decode("utf-8"), path)
    return rows, read


def choose_threshold(sets: Sequence[tuple[np.ndarray, np.ndarray]],
                     recall: float | Sequence[float]) -> float:
    """The urgency threshold, from (P(urgent), is urgent) pairs of each tuning set.

    Feasible: urgent recall >= `recall` on every set (one target, or one per set). Among
    those, the best mean F2 (recall counts four times precision); when a whole range ties
    (separable data), its middle, so that text a little unlike the tuning sets still falls on
    the right side.
    """
    grid = np.linspace(0.005, 0.995, 199)
    targets = [recall] * len(sets) if isinstance(recall, float | int) else list(recall)
    best: list[float] = []
    best_f2 = -1.0
    for t in grid:
        f2s = []
        for (p, y), target in zip(sets, targets, strict=True):
            precision, rec = _precision_recall(p, y, t)
            if y.any() and rec < target:
                break
            f2s.append(5 * precision * rec / max(4 * precision + rec, 1e-12))
        else:
            f2 = round(float(np.mean(f2s)), 4)
            if f2 > best_f2:
                best, best_f2 = [t], f2
            elif f2 == best_f2:
                best.append(t)
    if not best:  # the target is out of reach: the lowest threshold of the grid
        return float(grid[0])
    return round(float(np.median(best)), 4)


def always_urgent(rows: Sequence[LabelledText], min_rows: int = 20) -> tuple[str, ...]:
    """Categories whose reports (at least `min_rows` of them) are all urgent in training."""
    seen: dict[str, list[bool]] = {}
    for r in rows:
        seen.setdefault(r.category, []).append(r.urgency is Urgency.URGENT)
    return tuple(sorted(c for c, flags in seen.items() if len(flags) >= min_rows and all(flags)))


def _precision_recall(p_urgent: np.ndarray, urgent: np.ndarray, t: float) -> tuple[float, float]:
    said = p_urgent >= t
    tp = int(np.sum(said & urgent))
    precision = tp / max(int(np.sum(said)), 1)
    recall = tp / max(int(np.sum(urgent)), 1)
    return precision, recall


def _macro_f1(truth: Sequence[str], said: Sequence[str]) -> float:
    """Over the reports that have a category (a real one may have none: OTHER)."""
    from sklearn.metrics import f1_score

    pairs = [(t, s) for t, s in zip(truth, said, strict=True) if t != OTHER]
    return float(f1_score([t for t, _ in pairs], [s for _, s in pairs], average="macro",
                          zero_division=0))


def _file_digest(path: Path | None) -> bytes:
    return path.read_bytes() if path is not None and path.exists() else b""


def train(train_path: Path | str = GENERATED_TRAIN, *, dev_path: Path | str | None = DEV_PATH,
          written_dir: Path | str | None = WRITTEN_DIR,
          overrides_path: Path | str | None = None, model_path: Path | str = MODEL_PATH,
          metrics_path: Path | str = METRICS_PATH, recall_target: float = RECALL_TARGET,
          params: TriageParams | None = None, real_dev_path: Path | str | None = REAL_DEV,
          real_recall_target: float = REAL_RECALL_TARGET,
          phrases_path: Path | str | None = PHRASES_PATH,
          progress: Callable[[str], None] = lambda _msg: None) -> dict:
    """Train, tune and save the triage model; return the metrics written to `metrics_path`."""
    params = params or TriageParams()
    train_path = Path(train_path)
    if not train_path.exists():
        raise FileNotFoundError(
            f"no training set at {train_path}; write it with `ioc triage dataset`")
    dev_file = Path(dev_path) if dev_path is not None and Path(dev_path).exists() else None
    overrides_file = Path(overrides_path) if overrides_path is not None else None
    if overrides_file is not None and not overrides_file.exists():
        raise FileNotFoundError(f"no overrides file at {overrides_file}")
    written_folder = Path(written_dir) if written_dir is not None else None

    generated = read_labelled(train_path)
    written, written_bytes = read_written(written_folder)
    overrides = read_labelled(overrides_file) if overrides_file else []
    dev = read_labelled(dev_file) if dev_file else []
    real_file = (Path(real_dev_path) if real_dev_path is not None and Path(real_dev_path).exists()
                 else None)
    real_dev = read_real(real_file) if real_file else []
    gen_fit = [r for r in generated if not in_validation(r.text)]
    written_fit = [r for r in written if not in_validation(r.text, WRITTEN_VALIDATION_SHARE)]
    fit_rows = gen_fit + written_fit + overrides
    tune_sets = {"validation": [r for r in generated if in_validation(r.text)],
                 "written": [r for r in written
                             if in_validation(r.text, WRITTEN_VALIDATION_SHARE)],
                 "dev": dev, "real_dev": real_dev}
    tune_sets = {name: rows for name, rows in tune_sets.items() if rows}
    by_hand = [n for n in ("written", "dev", "real_dev") if n in tune_sets] or list(tune_sets)
    progress(f"{len(fit_rows)} rows to fit ({len(gen_fit)} generated, {len(written_fit)} "
             f"hand-written, {len(overrides)} overrides); tuning on "
             + ", ".join(f"{n} {len(rows)}" for n, rows in tune_sets.items()))

    phrase_groups = read_phrases(phrases_path) if phrases_path is not None else ()
    features = Features.fit([canonical(r.text) for r in fit_rows], params, phrase_groups)
    x_fit = features.transform([r.text for r in fit_rows])
    x_tune = {name: features.transform([r.text for r in rows]) for name, rows in tune_sets.items()}
    y_tune = {name: np.array([r.urgency is Urgency.URGENT for r in rows])
              for name, rows in tune_sets.items()}
    # The category reads the word n-grams only. The phrase groups say how urgent a report is,
    # not what it is about (with them the real dev part's category macro-F1 fell 0.73 -> 0.69),
    # and character n-grams learn the project's spellings more than the residents' words
    # (without them: 0.745 -> 0.765). Urgency reads every column.
    n_cat = features.n_tfidf if params.category_chars else features.n_word
    x_cat = x_fit[:, :n_cat]
    x_tune_cat = {name: x[:, :n_cat] for name, x in x_tune.items()}
    progress(f"features: {features.n_word} word n-grams, "
             f"{features.n_tfidf - features.n_word} character n-grams, "
             f"{len(features.phrase_groups)} phrase groups")
    urgent_categories = always_urgent(fit_rows)

    grid = []
    generated_weights = GENERATED_WEIGHT_GRID if written_fit else (1.0,)
    for w in generated_weights:
        weights = np.array([w] * len(gen_fit) + [1.0] * len(written_fit)
                           + [params.override_weight] * len(overrides))
        # Category: the C with the best mean macro-F1 by hand (ties: the smaller C).
        cat_grid = []
        for c in C_CATEGORY_GRID:
            model = fit_category(x_cat, [r.category for r in fit_rows], c, weights,
                                 params.random_state)
            f1 = {name: _macro_f1([r.category for r in rows], model.predict(x_tune_cat[name]))
                  for name, rows in tune_sets.items()}  # (rows with no category left out)
            cat_grid.append({"c": c, "macro_f1": {k: round(v, 4) for k, v in f1.items()},
                             "score": float(np.mean([f1[n] for n in by_hand])), "model": model})
            progress(f"weight {w:g} category C={c:g}: macro-F1 "
                     + ", ".join(f"{k} {v:.3f}" for k, v in f1.items()))
        best_cat = max(cat_grid, key=lambda g: (round(g["score"], 4), -g["c"]))
        urgent_columns = [list(best_cat["model"].classes_).index(c) for c in urgent_categories]
        cat_proba = {name: best_cat["model"].predict_proba(x_tune_cat[name])
                     for name in tune_sets}

        # Urgency: per C, the highest threshold meeting the recall target on every tuning set;
        # keep the C with the best mean precision by hand (ties: the smaller C).
        urg_grid = []
        for c in C_URGENCY_GRID:
            model = fit_urgency(x_fit, [r.urgency is Urgency.URGENT for r in fit_rows], c,
                                params.urgent_weight, weights, params.random_state)
            p = {name: combine_urgency(model.predict_proba(x_tune[name])[:, 1], cat_proba[name],
                                       urgent_columns) for name in tune_sets}
            t = choose_threshold([(p[n], y_tune[n]) for n in tune_sets],
                                 [real_recall_target if n == "real_dev" else recall_target
                                  for n in tune_sets])
            pr = {n: _precision_recall(p[n], y_tune[n], t) for n in tune_sets}
            urg_grid.append({"c": c, "threshold": round(t, 4),
                             "precision": {n: round(v[0], 4) for n, v in pr.items()},
                             "recall": {n: round(v[1], 4) for n, v in pr.items()},
                             "score": float(np.mean([pr[n][0] for n in by_hand])),
                             "model": model})
            progress(f"weight {w:g} urgency C={c:g}: threshold {t:.3f}, " + ", ".join(
                f"{n} precision {v[0]:.3f} recall {v[1]:.3f}" for n, v in pr.items()))
        best_urg = max(urg_grid, key=lambda g: (round(g["score"], 4), -g["c"]))
        grid.append({"generated_weight": w, "category": cat_grid, "urgency": urg_grid,
                     "best": (best_cat, best_urg),
                     "score": best_cat["score"] + best_urg["score"]})
    # The weight whose best pair scores highest by hand (ties: the larger weight).
    best = max(grid, key=lambda g: (round(g["score"], 4), g["generated_weight"]))
    best_cat, best_urg = best["best"]

    params = replace(params, c_category=best_cat["c"], c_urgency=best_urg["c"],
                     generated_weight=best["generated_weight"])
    departments = {c.code: c.department for c in load_taxonomy().categories}
    triage = assemble(features, best_cat["model"], best_urg["model"], departments, params)
    triage.urgent_categories = urgent_categories
    triage.threshold = best_urg["threshold"]
    triage.review_below = REVIEW_BELOW
    triage.model_version = model_version(
        _file_digest(train_path) + written_bytes + _file_digest(overrides_file)
        + _file_digest(dev_file) + _file_digest(real_file)
        + _file_digest(Path(phrases_path) if phrases_path is not None else None), params,
        {"threshold": triage.threshold, "review_below": triage.review_below,
         "recall_target": recall_target, "real_recall_target": real_recall_target})
    triage.save(model_path)
    progress(f"saved {model_path} ({Path(model_path).stat().st_size / 1e6:.1f} MB), "
             f"version {triage.model_version}")

    metrics = {
        "model_version": triage.model_version,
        "data": {
            "train_file": train_path.name,
            "train_sha256": hashlib.sha256(_file_digest(train_path)).hexdigest(),
            "train_rows": len(generated),
            "written_rows": len(written),
            "written_sha256": hashlib.sha256(written_bytes).hexdigest(),
            "fit_rows": len(fit_rows),
            "written_fit_rows": len(written_fit),
            "validation_rows": len(tune_sets.get("validation", [])),
            "written_validation_rows": len(tune_sets.get("written", [])),
            "override_rows": len(overrides),
            "dev_rows": len(dev),
            "real_dev_rows": len(real_dev),
        },
        "params": params.to_dict(),
        "features": {"word": features.n_word, "char": features.n_tfidf - features.n_word,
                     "phrase_groups": [g.name for g in features.phrase_groups]},
        "chosen": {"generated_weight": best["generated_weight"], "c_category": best_cat["c"],
                   "c_urgency": best_urg["c"], "urgent_categories": list(urgent_categories),
                   "threshold": triage.threshold, "review_below": triage.review_below,
                   "recall_target": recall_target, "real_recall_target": real_recall_target},
        "grid": [{"generated_weight": g["generated_weight"],
                  "category": [{k: v for k, v in x.items() if k != "model"}
                               for x in g["category"]],
                  "urgency": [{k: v for k, v in x.items() if k != "model"}
                              for x in g["urgency"]]} for g in grid],
    }
    for name, rows in tune_sets.items():
        metrics[name] = _summary(by_variant(triage, rows))
    Path(metrics_path).write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n",
                                  encoding="utf-8")
    return metrics


def _summary(figures: dict) -> dict:
    """Figures without the long lists (validation texts are generated; dev ids are enough)."""
    out = {}
    for key, f in figures.items():
        out[key] = {k: v for k, v in f.items() if k not in ("urgent_missed", "category_errors")}
        out[key]["urgent_missed_ids"] = [m["id"] for m in f["urgent_missed"]]
    return out
