"""The hand-written triage held-out set is frozen: its hash must match the README and its rows must be valid.

See analytics/triage/data/heldout/README.md. Changing heldout.jsonl requires a new version file, not an edit.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ioc.taxonomy import load_taxonomy

HELDOUT_DIR = Path(__file__).resolve().parents[2] / "analytics" / "triage" / "data" / "heldout"
HELDOUT = HELDOUT_DIR / "heldout.jsonl"
DEV = HELDOUT_DIR / "dev.jsonl"
README = HELDOUT_DIR / "README.md"

REQUIRED_KEYS = {"id", "text", "lang", "variant", "category", "urgency"}
LANG_OF_VARIANT = {"vi": "vi", "vi_ascii": "vi", "en": "en"}
URGENCIES = {"urgent", "normal"}
MIN_PER_CATEGORY = 20


def _rows(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{n} is blank"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:  # pragma: no cover - failure path
            pytest.fail(f"{path.name}:{n} is not JSON: {e}")
        assert isinstance(row, dict), f"{path.name}:{n} is not an object"
        rows.append(row)
    return rows


def _recorded_sha256() -> str:
    m = re.search(r"heldout\.jsonl SHA-256:\s*`?([0-9a-f]{64})`?", README.read_text(encoding="utf-8"))
    assert m, "README.md does not record 'heldout.jsonl SHA-256: <hex>'"
    return m.group(1)


def test_heldout_hash_matches_readme() -> None:
    actual = hashlib.sha256(HELDOUT.read_bytes()).hexdigest()
    assert actual == _recorded_sha256(), (
        "heldout.jsonl changed. It is FROZEN: restore it, or add a new version file with its own hash and a README note."
    )


@pytest.mark.parametrize("path, prefix", [(HELDOUT, "H-"), (DEV, "D-")], ids=["heldout", "dev"])
def test_rows_are_valid(path: Path, prefix: str) -> None:
    codes = set(load_taxonomy().codes)
    rows = _rows(path)
    assert rows
    for row in rows:
        where = f"{path.name} {row.get('id')}"
        assert set(row) == REQUIRED_KEYS, f"{where}: keys {sorted(row)}"
        assert re.fullmatch(re.escape(prefix) + r"\d{4}", row["id"]), where
        assert isinstance(row["text"], str) and row["text"].strip(), where
        assert row["variant"] in LANG_OF_VARIANT, where
        assert row["lang"] == LANG_OF_VARIANT[row["variant"]], where
        assert row["category"] in codes, f"{where}: unknown category {row['category']!r}"
        assert row["urgency"] in URGENCIES, where
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate ids"


def test_heldout_coverage() -> None:
    rows = _rows(HELDOUT)
    per_category = Counter(r["category"] for r in rows)
    for code in load_taxonomy().codes:
        assert per_category[code] >= MIN_PER_CATEGORY, f"{code}: only {per_category[code]} items"
    assert {r["variant"] for r in rows} == set(LANG_OF_VARIANT)
    assert {r["urgency"] for r in rows} == URGENCIES


def test_dev_and_heldout_are_disjoint() -> None:
    held = {r["text"].strip().lower() for r in _rows(HELDOUT)}
    dev = {r["text"].strip().lower() for r in _rows(DEV)}
    assert not held & dev
