"""How `dev.jsonl` and `test.jsonl` were made from the collected parts (run once, 2026-12-02).

    .venv/bin/python analytics/triage/data/real/make_split.py PARTS_DIR
    .venv/bin/python analytics/triage/data/real/make_split.py --add-to-dev PARTS_DIR

Reads every `part_*.jsonl` in PARTS_DIR (one per collector: text verbatim, source, labels),
validates each line, drops exact and near duplicates (character 4-gram Jaccard >= 0.6 after
stripping diacritics), shuffles with a fixed seed, numbers the reports R-0001…, and splits them
40 % dev / 60 % test within each (variant, urgency) group. Refuses to overwrite test.jsonl: the
test part is frozen (see README.md). With --add-to-dev, a later batch goes to the dev part
only (after the same checks, and against every report already in either part).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from analytics.triage.real import RealText  # noqa: E402
from ioc.text import normalize, strip_diacritics  # noqa: E402

DEV_SHARE = 0.4
SEED = 20261202
FIELDS = ("id", "text", "lang", "variant", "category", "urgency", "source", "source_kind")


def grams(text: str) -> set[str]:
    t = " ".join(strip_diacritics(normalize(text).lower()).split())
    return {t[i:i + 4] for i in range(max(len(t) - 3, 1))}


def read_parts(parts_dir: Path) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(parts_dir.glob("part_*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            raw = json.loads(line)
            raw = {**raw, "id": f"{path.stem}:{n}", "source_kind": raw.get("kind", "")}
            RealText.model_validate(raw)  # raises, naming the field, on a bad line
            rows.append(raw)
    return rows


def deduplicated(rows: list[dict], seen: list[set[str]]) -> list[dict]:
    kept: list[tuple[dict, set[str]]] = [({}, g) for g in seen]
    for r in rows:
        g = grams(r["text"])
        if any(len(g & h) / len(g | h) >= 0.6 for _, h in kept):
            continue
        kept.append((r, g))
    return [r for r, _ in kept[len(seen):]]


def add_to_dev(parts_dir: Path) -> None:
    existing = [json.loads(line) for name in ("dev.jsonl", "test.jsonl")
                for line in (HERE / name).read_text(encoding="utf-8").splitlines()]
    rows = read_parts(parts_dir)
    new = deduplicated(rows, [grams(r["text"]) for r in existing])
    random.Random(SEED + 1).shuffle(new)
    last = max(int(r["id"][2:]) for r in existing)
    with (HERE / "dev.jsonl").open("a", encoding="utf-8") as f:
        for i, r in enumerate(new, start=last + 1):
            r["id"] = f"R-{i:04d}"
            f.write(json.dumps({k: r[k] for k in FIELDS}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} collected, {len(new)} new added to dev.jsonl")  # noqa: T201


def main(parts_dir: Path) -> None:
    rows = read_parts(parts_dir)
    ordered = deduplicated(rows, [])
    print(f"{len(rows)} collected, {len(ordered)} after removing duplicates")  # noqa: T201
    rng = random.Random(SEED)
    rng.shuffle(ordered)
    for i, r in enumerate(ordered, start=1):
        r["id"] = f"R-{i:04d}"
    dev, test = [], []
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in ordered:
        groups.setdefault((r["variant"], r["urgency"]), []).append(r)
    for key in sorted(groups):
        members = groups[key]
        cut = round(DEV_SHARE * len(members))
        dev += members[:cut]
        test += members[cut:]
    test_path = HERE / "test.jsonl"
    if test_path.exists():
        raise SystemExit(f"{test_path} exists and is frozen; make a new version instead")
    for name, part in (("dev.jsonl", dev), ("test.jsonl", test)):
        part.sort(key=lambda r: r["id"])
        with (HERE / name).open("w", encoding="utf-8") as f:
            for r in part:
                f.write(json.dumps({k: r[k] for k in FIELDS}, ensure_ascii=False) + "\n")
        print(f"{name}: {len(part)}")  # noqa: T201 (a one-off script)


if __name__ == "__main__":
    if sys.argv[1] == "--add-to-dev":
        add_to_dev(Path(sys.argv[2]))
    else:
        main(Path(sys.argv[1]))
