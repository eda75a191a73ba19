"""The generated training set for triage: simulated reports with their labels, as JSON lines.

Triage trains only on text the project writes or generates (DESIGN: Triage). This module is the
bridge: it runs the report simulator and writes what it meant (`ReportLabel`) next to what it
wrote, so `analytics/triage/train.py` reads a file and never imports a simulator.

Several sub-seeds, each its own `labelled_reports` run, so the set does not hinge on one draw.
A share of the reports get an aside that says nothing about the problem (a phone number, "I
called the hotline"), and a share of those typed without diacritics get chat shorthand ("k"
for "không") and typos: what real reports carry and the simulator's templates do not.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from ioc.city import load_city
from ioc.taxonomy import load_taxonomy
from ioc.text import strip_diacritics
from simulators.reports import labelled_reports

PART_SIZE = 3000  # reports per sub-seed
INFORMAL_SHARE = 0.35  # of the reports typed without diacritics
CHATTY_SHARE = 0.3  # reports that also carry a sentence that says nothing about the problem

# Sentences that do not change what a report is about nor how urgent it is: citizens add them
# to both kinds, so the model must learn to read past them.
_ASIDES = {
    "vi": ["Nhà tôi ở gần đó nên thấy rõ.", "Tôi đã gọi tổng đài nhưng không ai nghe máy.",
           "Tôi gửi kèm hình ảnh.", "Tôi là người dân sống ở khu phố này.",
           "Hàng xóm cũng đã phản ánh.", "Tôi chụp ảnh rồi, cần thì gửi thêm.",
           "Sáng nay đi làm ngang qua thì thấy.", "Xin cảm ơn anh chị trực tổng đài.",
           "Tôi không rõ phải báo cho ai nên gửi lên đây."],
    "en": ["I live nearby so I saw it myself.", "I called the hotline but nobody answered.",
           "Photos attached.", "I'm a resident of this neighbourhood.",
           "The neighbours have complained too.", "I can send more pictures if needed.",
           "I saw it on my way to work this morning.", "Thanks to whoever reads this.",
           "Not sure who to tell so I'm posting it here."],
}
_CONTACT = {"vi": "SĐT liên hệ: {phone}.", "en": "My number is {phone}."}

# Chat shorthand on top of the simulator's (ko, dc, ng): what a hurried phone user types.
_INFORMAL = {
    "khong": ("k", "ko", "hok", "kg"), "duoc": ("dc", "dk"), "nguoi": ("ng",), "gi": ("j",),
    "roi": ("r",), "voi": ("vs",), "qua": ("wa",), "biet": ("bit",), "nhieu": ("nhiu",),
    "truoc": ("trc",), "anh chi": ("a/c",), "em": ("e",), "khong phai": ("kp",),
    "troi": ("tr",),
}
_INFORMAL_RE = re.compile(r"\b(" + "|".join(sorted(_INFORMAL, key=len, reverse=True)) + r")\b",
                          re.IGNORECASE)


def chatty(text: str, lang: str, ascii_only: bool, rng: random.Random) -> str:
    """The report with an aside, a phone number or an emoji around it."""
    extra = rng.choice(_ASIDES[lang])
    if rng.random() < 0.3:
        phone = "09" + "".join(str(rng.randrange(10)) for _ in range(8))
        extra = _CONTACT[lang].format(phone=f"{phone[:4]} {phone[4:7]} {phone[7:]}")
    if ascii_only:
        extra = strip_diacritics(extra)
    text = f"{extra} {text}" if rng.random() < 0.4 else f"{text} {extra}"
    if rng.random() < 0.2:
        text += " " + rng.choice(["🙏", "😡", "😢", "⚠️", "!!!"])
    return text


def informal(text: str, rng: random.Random) -> str:
    """Chat shorthand and, sometimes, no punctuation or a typo: 'khong duoc' -> 'k dc'."""
    text = _INFORMAL_RE.sub(
        lambda m: rng.choice(_INFORMAL[m.group().lower()]) if rng.random() < 0.7 else m.group(),
        text)
    if rng.random() < 0.4:
        text = re.sub(r"[.,!;:]+", "", text)
    if rng.random() < 0.3:  # a typo: two neighbouring letters swapped in one longer word
        words = text.split(" ")
        long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if long:
            i = rng.choice(long)
            j = rng.randrange(len(words[i]) - 1)
            w = words[i]
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            text = " ".join(words)
    return text


def sub_seeds(seed: int, count: int) -> list[tuple[int, int]]:
    """(sub-seed, reports) pairs that add up to `count`: seed*100 + 0, 1, 2 …"""
    parts, left, k = [], count, 0
    while left > 0:
        n = min(PART_SIZE, left)
        parts.append((seed * 100 + k, n))
        left, k = left - n, k + 1
    return parts


def write_training_set(path: Path | str, seed: int = 1, count: int = 24_000) -> int:
    """Write `count` labelled reports to `path` (JSON lines); return how many were written.

    Each line: {"id","text","lang","variant","category","department","urgency"}. The same seed
    and count always write the same bytes.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    city, taxonomy = load_city(), load_taxonomy()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        for part_seed, n in sub_seeds(seed, count):
            for i, (report, label) in enumerate(labelled_reports(city, taxonomy, part_seed, n)):
                text = report.text
                style = random.Random(f"{part_seed}:informal:{i}")
                if style.random() < CHATTY_SHARE:
                    text = chatty(text, report.lang or "vi", label.variant == "vi_ascii", style)
                if label.variant == "vi_ascii" and style.random() < INFORMAL_SHARE:
                    text = informal(text, style)
                line = {
                    "id": f"gen-{part_seed}-{i:05d}",
                    "text": text,
                    "lang": report.lang,
                    "variant": label.variant,
                    "category": label.category,
                    "department": label.department,
                    "urgency": label.urgency.value,
                }
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
                written += 1
    tmp.replace(path)
    return written
