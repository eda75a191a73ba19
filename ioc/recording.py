"""Recordings: a city's input streams in one compact file, for replay.

A recording is a zip of two members: `manifest.json` (format, versions, where it came from, the
topics with their counts, the time range, and the SHA-256 of the events) and `events.jsonl`
(deflated), one message a line in event-time order:

    {"topic": "ioc.sensor.readings", "event": {...}}
    {"topic": "ioc.camera.frames", "event": {...}, "jpeg": "<base64>"}

Frames recorded from the database are the frame archive's sample (one per camera every
`frames_every_s` seconds, in the manifest); a scenario's are as its cameras sent them.

Kafka keys are not stored: the topic registry derives each key from its event, so a replayed
message has the key it had. A file is written to a temporary name and renamed when complete, so
a crash never leaves half a recording under the real name; a truncated or altered one is caught
by its checksum before a single event is replayed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from ioc import events as ev
from ioc import topics as tp

FORMAT = "ioc-recording"
VERSION = 1
MANIFEST, EVENTS = "manifest.json", "events.jsonl"
# What a city is fed: everything else (triage, alarms raised by detectors, metrics) is what the
# pipeline makes of it, and is made again by a replay.
INPUT_TOPICS = (tp.CITIZEN_REPORTS, tp.SENSOR_READINGS, tp.CAMERA_FRAMES, tp.REPORT_EVENTS,
                tp.ALERTS)


def is_input(topic: tp.Topic, event: ev.Event) -> bool:
    """Alarm events are inputs only when a person (or the crew) acted; the detectors' own are
    outputs, raised again by the replay."""
    if topic is tp.ALERTS:
        return isinstance(event, ev.Alarm) and event.actor != "system"
    return topic in INPUT_TOPICS


class RecordingError(ValueError):
    """The file is not a usable recording; the message says what is wrong with it."""


@dataclass(frozen=True)
class Entry:
    topic: tp.Topic
    event: ev.Event
    jpeg: bytes | None = None


@dataclass(frozen=True)
class Manifest:
    source: str  # "record" or "scenario:<name>"
    start: datetime
    end: datetime
    events: int
    topics: dict[str, int]
    sha256: str
    created_at: datetime
    format: str = FORMAT
    version: int = VERSION
    schema_version: int = ev.SCHEMA_VERSION
    scenario: dict = field(default_factory=dict)  # name, description, expectations
    # Camera frames are a sample (one per camera every this many seconds, from the frame
    # archive); None: no frames, or frames as they came (a scenario's). Absent in older files.
    frames_every_s: float | None = None

    def to_json(self) -> str:
        data = asdict(self)
        for k in ("start", "end", "created_at"):
            data[k] = data[k].isoformat()
        return json.dumps(data, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str, path: Path) -> Manifest:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecordingError(f"{path}: its manifest is not JSON ({exc})") from None
        if data.get("format") != FORMAT:
            raise RecordingError(f"{path} is not an IOC recording (format "
                                 f"{data.get('format')!r})")
        if data.get("version") != VERSION:
            raise RecordingError(f"{path} is recording format version {data.get('version')}; "
                                 f"this IOC reads version {VERSION}")
        if data.get("schema_version") != ev.SCHEMA_VERSION:
            raise RecordingError(
                f"{path} holds events of schema version {data.get('schema_version')}; this "
                f"IOC reads schema version {ev.SCHEMA_VERSION} and has no migration from it: "
                "record it again with this version")
        try:
            for k in ("start", "end", "created_at"):
                data[k] = datetime.fromisoformat(data[k])
            return cls(**data)
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordingError(f"{path}: its manifest is incomplete ({exc})") from None


def _line(entry: Entry) -> bytes:
    item = {"topic": entry.topic.name, "event": entry.event.model_dump(mode="json")}
    if entry.jpeg is not None:
        item["jpeg"] = base64.b64encode(entry.jpeg).decode()
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def write(path: Path, entries: Iterable[Entry], source: str,
          scenario: dict | None = None, now: datetime | None = None, *,
          ordered: bool = False, frames_every_s: float | None = None) -> Manifest:
    """Write a recording of `entries` (sorted by event time, stably) to `path`, atomically.
    `ordered`: they already come in event-time order (`ioc record` merges its streams), so they
    are written as they come instead of all held in memory to be sorted (frames are large)."""
    items = iter(entries) if ordered else iter(sorted(entries, key=lambda e: e.event.ts))
    digest, counts = hashlib.sha256(), Counter()
    first = last = None
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            with z.open(EVENTS, "w", force_zip64=True) as out:
                for entry in items:
                    ts = entry.event.ts
                    if last is not None and ts < last:
                        raise RecordingError(f"events out of order: {entry.topic.name} at "
                                             f"{ts.isoformat()} after {last.isoformat()}")
                    first, last = first or ts, ts
                    line = _line(entry)
                    digest.update(line)
                    out.write(line)
                    counts[entry.topic.name] += 1
            if first is None:
                raise RecordingError("nothing to record: no input events in that time range")
            manifest = Manifest(source=source, start=first, end=last,
                                events=sum(counts.values()), topics=dict(counts),
                                sha256=digest.hexdigest(), created_at=now or ev.utcnow(),
                                scenario=scenario or {},
                                frames_every_s=frames_every_s
                                if counts[tp.CAMERA_FRAMES.name] else None)
            z.writestr(MANIFEST, manifest.to_json())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return manifest


def _open(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise RecordingError(f"no recording at {path}")
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise RecordingError(f"{path} is truncated or not a recording (not a readable zip); "
                             "record it again") from None
    missing = {MANIFEST, EVENTS} - set(z.namelist())
    if missing:
        z.close()
        raise RecordingError(f"{path} lacks {', '.join(sorted(missing))}: not a recording")
    return z


def read_manifest(path: Path) -> Manifest:
    path = Path(path)
    with _open(path) as z:
        return Manifest.from_json(z.read(MANIFEST).decode(), path)


def verify(path: Path) -> Manifest:
    """The manifest, once the events are proved to be the ones it describes."""
    path = Path(path)
    manifest = read_manifest(path)
    digest, lines = hashlib.sha256(), 0
    try:
        with _open(path) as z, z.open(EVENTS) as f:
            for line in f:
                digest.update(line)
                lines += 1
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise RecordingError(f"{path} is damaged ({exc}); record it again") from None
    if digest.hexdigest() != manifest.sha256 or lines != manifest.events:
        raise RecordingError(
            f"{path} does not match its manifest: {lines} events with checksum "
            f"{digest.hexdigest()[:12]}…, the manifest says {manifest.events} with "
            f"{manifest.sha256[:12]}…. The file was truncated or altered; record it again")
    return manifest


def read(path: Path) -> Iterator[Entry]:
    """The events, each validated by its topic's model. Call `verify` first."""
    path = Path(path)
    with _open(path) as z, z.open(EVENTS) as f:
        for number, line in enumerate(f, start=1):
            try:
                item = json.loads(line)
                topic = tp.BY_NAME[item["topic"]]
                event = topic.model.model_validate(item["event"])
                jpeg = base64.b64decode(item["jpeg"]) if "jpeg" in item else None
            except (json.JSONDecodeError, KeyError, ValidationError, ValueError) as exc:
                raise RecordingError(f"{path}: event {number} is not valid: {exc}") from None
            yield Entry(topic, event, jpeg)
