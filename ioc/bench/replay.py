"""`ioc bench replay`: the fastest speed at which a recording replays to the same outputs as at
1x (the same digest), in events/s, against the ingest pipeline's own rate measured in the same
run (`ioc bench ingest`: broker -> persistence -> PostgreSQL)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console

from ioc import recording
from ioc.replay import ReplayResult

SPEEDS = (10.0, 100.0, 1000.0, None)  # None: as fast as it goes


def _summary_value(line: str, key: str) -> float:
    for part in line.split():
        if part.startswith(key + "="):
            return float(part.split("=", 1)[1])
    raise ValueError(f"{key} not in {line!r}")


def run(console: Console, make_recording: Callable[[Path], recording.Manifest],
        replay_at: Callable[[Path, float | None], ReplayResult],
        ingest: Callable[[], Iterator[str]]) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="ioc-bench-replay-") as tmp:
        path = Path(tmp) / "bench.zip"
        manifest = make_recording(path)
        span_s = (manifest.end - manifest.start).total_seconds()
        console.print("the ingest pipeline's rate (ioc bench ingest) …")
        ingest_line = list(ingest())[-1]
        ingest_rate = _summary_value(ingest_line, "events_per_s")
        console.print(f"replaying {manifest.events} events ({span_s:.0f} s of stream) at 1x …")
        reference = replay_at(path, 1.0)
        rows, fastest = [], None
        for speed in SPEEDS:
            label = "max" if speed is None else f"{speed:g}x"
            console.print(f"replaying at {label} …")
            result = replay_at(path, speed)
            same = result.digest == reference.digest
            # While streaming (first event out to all read), not the namespace's set-up and
            # the outputs' read-back, which cost the same for any recording.
            rate = result.events / max(result.streaming_s, 1e-6)
            achieved = span_s / max(result.streaming_s, 1e-6)  # stream s per wall s
            rows.append((label, result.wall_s, result.streaming_s, rate, same))
            if same:
                fastest = (label, min(achieved, speed or achieved), rate)
    yield (f"recording: {manifest.events} events, {span_s:.0f} s of the city's stream "
           f"({', '.join(f'{k}={v}' for k, v in sorted(manifest.topics.items()))}); 2 cores")
    yield (f"1x                 {reference.wall_s:7.1f} s   digest {reference.digest}")
    for label, wall_s, streaming_s, rate, same in rows:
        yield (f"{label:<18} {wall_s:7.1f} s in all, {streaming_s:6.2f} s streaming "
               f"{rate:8,.0f} events/s   {'identical' if same else 'DIFFERENT'}")
    yield f"ingest pipeline     {ingest_rate:,.0f} events/s (broker -> persistence -> PostgreSQL)"
    label, speed_x, rate = fastest or ("none", 0.0, 0.0)
    yield (f"SUMMARY replay fastest_identical_speed={speed_x:.0f} "
           f"events_per_s={rate:.0f} ingest_events_per_s={ingest_rate:.0f} "
           f"ratio={rate / ingest_rate:.3f} events={manifest.events} "
           f"one_x_s={reference.wall_s:.1f} all_identical={int(all(r[4] for r in rows))}")
