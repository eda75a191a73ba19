"""What the `ioc triage …` and `ioc bench triage` commands run: plain functions, no Typer."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from analytics.triage import evaluate as ev
from analytics.triage import train as tr
from analytics.triage.model import METRICS_PATH, MODEL_PATH, TriageModel, canonical

BATCH = 1000


class BadInput(ValueError):
    """A line of the input file that is not {"id", "text"[, "lang"]}; the message names it."""


def _parse_line(line: str, where: str) -> tuple[object, str]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise BadInput(f"{where}: expected an object like {{\"id\": …, \"text\": …}}, "
                       f"got {type(obj).__name__}")
    if "id" not in obj or not isinstance(obj["id"], str | int) or isinstance(obj["id"], bool):
        raise BadInput(f"{where}: \"id\" is missing or not a string or integer")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadInput(f"{where}: \"text\" is missing, empty or not a string (id {obj['id']!r})")
    lang = obj.get("lang")
    if lang not in (None, "vi", "en"):
        raise BadInput(f"{where}: \"lang\" must be \"vi\", \"en\" or absent, got {lang!r}")
    return obj["id"], text


def classify_file(in_path: Path | str, out_path: Path | str,
                  model_path: Path | str = MODEL_PATH) -> int:
    """Classify a JSONL file of reports; return how many lines were written.

    In: {"id","text"} per line, optionally "lang" (blank lines are skipped). Out, in the same
    order: {"id","urgency","category","department","confidence","cues"}. A bad line stops the
    run with BadInput naming it, and leaves no partial output file.
    """
    in_path, out_path = Path(in_path), Path(out_path)
    model = TriageModel.load(model_path)
    tmp = out_path.with_name(out_path.name + ".tmp")
    written = 0
    try:
        with in_path.open(encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
            batch: list[tuple[object, str]] = []
            for n, line in enumerate(src, start=1):
                if line.strip():
                    batch.append(_parse_line(line, f"{in_path}: line {n}"))
                if len(batch) >= BATCH:
                    written += _write(model, batch, dst)
                    batch = []
            written += _write(model, batch, dst)
        tmp.replace(out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return written


def _write(model: TriageModel, batch: list[tuple[object, str]], dst) -> int:
    results = model.predict([text for _, text in batch])
    for (report_id, _), result in zip(batch, results, strict=True):
        dst.write(json.dumps(result.as_line(report_id), ensure_ascii=False) + "\n")
    return len(batch)


def train(train_path: Path | str = ev.GENERATED_TRAIN, *, dev_path: Path | str | None = ev.DEV_PATH,
          overrides_path: Path | str | None = None, model_path: Path | str = MODEL_PATH,
          metrics_path: Path | str = METRICS_PATH,
          progress: Callable[[str], None] = lambda _m: None) -> list[str]:
    """Train and save the model; return the lines to print."""
    m = tr.train(train_path, dev_path=dev_path, overrides_path=overrides_path,
                 model_path=model_path, metrics_path=metrics_path, progress=progress)
    lines = [f"model {m['model_version']} -> {model_path}",
             f"chosen: generated_weight={m['chosen']['generated_weight']:g} "
             f"C(category)={m['chosen']['c_category']:g} "
             f"C(urgency)={m['chosen']['c_urgency']:g} threshold={m['chosen']['threshold']}"]
    for name in ("validation", "written", "dev", "real_dev"):
        if name in m:
            f = m[name]["all"]
            lines.append(f"{name}: n={f['n']} urgent_recall={f['urgent_recall']} "
                         f"urgent_precision={f['urgent_precision']} "
                         f"category_macro_f1={f['category_macro_f1']}")
    return lines


def evaluate(heldout_path: Path | str = ev.HELDOUT_PATH, model_path: Path | str = MODEL_PATH,
             out_path: Path | str = ev.HELDOUT_METRICS_PATH,
             card_path: Path | str | None = ev.CARD_PATH) -> list[str]:
    """Evaluate on the held-out set, write its metrics and the model card; return the lines."""
    report = ev.evaluate(heldout_path, model_path, out_path, card_path)
    lines = [f"model {report['model_version']} on {report['heldout']} "
             f"(threshold {report['threshold']})"]
    for name, f in report["figures"].items():
        agree = f.get("agreement_with_diacritics")
        lines.append(f"{name:<12} n={f['n']:<4} urgent={f['urgent']:<3} "
                     f"recall={f['urgent_recall']} precision={f['urgent_precision']} "
                     f"macro_f1={f['category_macro_f1']} review={f['review_share']}"
                     + (f" agreement={agree}" if agree is not None else ""))
    missed = report["figures"]["all"]["urgent_missed"]
    lines.append(f"missed urgent: {len(missed)}")
    lines += [f"  {m['id']}: {m['text']}" for m in missed]
    met = report["targets_met"]
    lines.append("targets " + " ".join(f"{k}={'met' if v else 'NOT met'}" for k, v in met.items()))
    if report.get("real"):
        lines += _real_lines(report["real"])
    lines.append(f"wrote {out_path}" + (f" and {card_path}" if card_path else ""))
    return lines


def _real_lines(real: dict) -> list[str]:
    """The real-text figures, with their 95 % intervals, as `ioc triage evaluate` prints them."""
    def ci(pair) -> str:
        return f"[{pair[0]:.3f}-{pair[1]:.3f}]" if pair else ""

    lines = [f"real reports ({ev.DATA_DIR.name}/real/test.jsonl, never tuned on):"]
    for name in ("all", "all_stripped", "vi", "vi_ascii", "en"):
        f = real["test"].get(name)
        if not f:
            continue
        lines.append(
            f"  {name:<12} n={f['n']:<4} urgent={f['urgent']:<3} "
            f"recall={f['urgent_recall']}{ci(f.get('urgent_recall_ci'))} "
            f"precision={f['urgent_precision']}{ci(f.get('urgent_precision_ci'))} "
            f"macro_f1={f['category_macro_f1']}{ci(f.get('category_macro_f1_ci'))} "
            f"review={f['review_share']}"
            + (f" recall_not_reviewed={f['urgent_recall_not_reviewed']} "
               f"caught_or_reviewed={f['urgent_caught_or_reviewed']}"
               if "urgent_caught_or_reviewed" in f else ""))
    missed = real["test"]["all"]["urgent_missed"]
    lines.append(f"  missed urgent: {len(missed)}")
    lines += [f"    {m['id']}: {m['text'][:160]}" for m in missed]
    return lines


# -- bench ------------------------------------------------------------------------------------


def _texts(path: Path, limit: int) -> list[str]:
    texts = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if len(texts) >= limit:
                break
    return texts


def _rate(fn: Callable[[list[str]], object], texts: list[str], batch: int) -> float:
    t0 = time.perf_counter()
    for i in range(0, len(texts), batch):
        fn(texts[i:i + batch])
    return len(texts) / (time.perf_counter() - t0)


def _classify_chunk(args: tuple[str, list[str], int]) -> float:
    """In a worker process: load the model, classify the chunk warm, return seconds taken."""
    model_path, texts, batch = args
    model = TriageModel.load(model_path)
    model.predict(texts[:batch])  # warm the word cache as a running worker's is
    t0 = time.perf_counter()
    for i in range(0, len(texts), batch):
        model.predict(texts[i:i + batch])
    return time.perf_counter() - t0


def bench(model_path: Path | str = MODEL_PATH, data_path: Path | str = ev.GENERATED_TRAIN,
          reports: int = 12_000, batch: int = BATCH, singles: int = 2000) -> Iterator[str]:
    """Throughput in batches and single-report latency, against the raw TF-IDF transform.

    Texts are the generated set's (the file, not the simulator). The raw floor is scikit-learn's
    own TfidfVectorizer.transform (word + char) over the same vocabulary, on the same texts.
    """
    model_path, data_path = Path(model_path), Path(data_path)
    t0 = time.perf_counter()
    model = TriageModel.load(model_path)
    load_s = time.perf_counter() - t0
    texts = _texts(data_path, reports)
    yield (f"model {model.model_version}: {model_path.stat().st_size / 1e6:.2f} MB, loaded in "
           f"{load_s * 1000:.0f} ms; {len(texts)} reports from {data_path.name}, "
           f"batches of {batch}, {os.cpu_count()} CPUs")

    word, char = model.features.sklearn_vectorizers()

    def raw(chunk: list[str]) -> None:
        canon = [canonical(t) for t in chunk]
        word.transform(canon)
        char.transform(canon)

    raw_rate = _rate(raw, texts, batch)
    yield f"raw: scikit-learn TF-IDF transform alone (word+char): {raw_rate:,.0f} reports/s"
    cold = _rate(model.predict, texts, batch)
    yield f"triage, cold word cache (features + both models + cues): {cold:,.0f} reports/s"
    warm = _rate(model.predict, texts, batch)
    features_rate = _rate(model.features.transform, texts, batch)
    yield (f"triage, warm: {warm:,.0f} reports/s (features alone {features_rate:,.0f}/s; "
           f"{warm / raw_rate:.2f}x the raw transform)")

    procs = min(2, os.cpu_count() or 1)
    half = (len(texts) + procs - 1) // procs
    chunks = [(str(model_path), texts[i * half:(i + 1) * half], batch) for i in range(procs)]
    with ProcessPoolExecutor(procs) as pool:
        seconds = list(pool.map(_classify_chunk, chunks))
    parallel = len(texts) / max(seconds)
    yield f"triage, {procs} processes (as {procs} consumers of a topic): {parallel:,.0f} reports/s"

    latencies = []
    for text in texts[:singles]:
        t = time.perf_counter()
        model.predict([text])
        latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    yield f"single report: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {latencies[-1]:.2f} ms"
    yield (f"SUMMARY triage reports_per_s={warm:.0f} cold_reports_per_s={cold:.0f} "
           f"reports_per_s_{procs}proc={parallel:.0f} p50_ms={p50:.2f} p99_ms={p99:.2f} "
           f"raw_tfidf_reports_per_s={raw_rate:.0f} ratio={warm / raw_rate:.2f} "
           f"model_mb={model_path.stat().st_size / 1e6:.2f}")
