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


class StubDetector:
    """A detector that finds nothing, decoding frames as the 320-px model would (by 2)."""

    label = "stub"

    def reduction(self, width: int, height: int) -> int:  # noqa: ARG002
        return 2

    def detect(self, images, scales=None):  # noqa: ARG002
        from analytics.vision.detector import EMPTY

        return [EMPTY for _ in images]
