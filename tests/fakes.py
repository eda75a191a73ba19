"""Fakes for unit tests (integration tests use the real broker and database)."""

from __future__ import annotations


class FakePublisher:
    """Records what would have been published; counts flushes."""

    def __init__(self) -> None:
        self.sent: list = []
        self.flushes = 0

    def publish(self, topic, event, payload=None):
        self.sent.append((topic, event))

    def flush(self, timeout_s: float = 30) -> None:
        self.flushes += 1
