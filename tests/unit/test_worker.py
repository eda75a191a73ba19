"""The consumer loop's batch handling, with fakes for the broker side."""

from __future__ import annotations

from dataclasses import dataclass, field

from fakes import FakePublisher
from test_serde import SAMPLES

from ioc import events as ev
from ioc import topics as tp
from ioc.config import Settings
from ioc.kafka import encode
from ioc.worker import Worker


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list = field(default_factory=list)
    timestamp: int = 0




def test_bad_records_are_dead_lettered_and_flushed_before_the_good_are_sunk():
    order = []
    publisher = FakePublisher()
    publisher.flush = lambda timeout_s=30: order.append("flush")
    sunk = []

    def sink(batch):
        order.append("sink")
        sunk.extend(batch)

    settings = Settings(topic_prefix="x.")
    worker = Worker(settings, "w", [tp.SENSOR_READINGS], sink, publisher=publisher)
    good = encode(tp.SENSOR_READINGS, SAMPLES[tp.SENSOR_READINGS.name])
    worker.handle([
        Record("x.ioc.sensor.readings", 0, 0, good.key, good.value),
        Record("x.ioc.sensor.readings", 0, 1, b"k", b"{broken"),
    ])
    assert order == ["flush", "sink"]
    assert [m.offset for m in sunk] == [0]
    (topic, letter), = publisher.sent
    assert topic is tp.DEADLETTER
    assert isinstance(letter, ev.DeadLetter)
    assert letter.source_offset == 1 and letter.source_topic == "x.ioc.sensor.readings"
    assert letter.raw_bytes == len(b"{broken") and "malformed JSON" in letter.reason
    assert worker.stats.processed == 1 and worker.stats.dead_lettered == 1


def test_a_failing_sink_propagates_so_nothing_is_committed():
    def sink(_batch):
        raise ConnectionError("database went away")

    worker = Worker(Settings(), "w", [tp.SENSOR_READINGS], sink, publisher=FakePublisher())
    good = encode(tp.SENSOR_READINGS, SAMPLES[tp.SENSOR_READINGS.name])
    try:
        worker.handle([Record("ioc.sensor.readings", 0, 0, good.key, good.value)])
    except ConnectionError:
        pass
    else:
        raise AssertionError("the sink's failure must reach the loop, which then never commits")
    assert worker.stats.processed == 0


def test_an_unreadable_dead_letter_is_skipped_never_lettered_again():
    publisher = FakePublisher()
    worker = Worker(Settings(topic_prefix="x."), "w", [tp.DEADLETTER], lambda batch: None,
                    publisher=publisher)
    worker.handle([Record("x.ioc.deadletter", 0, 7, b"k", b"{broken")])
    assert publisher.sent == [], "a letter about a letter would loop forever"
    assert worker.stats.dead_lettered == 1
