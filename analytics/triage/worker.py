"""The triage worker: citizen reports in, one `ReportTriaged` per report out.

The sink publishes the batch's results and waits until the broker has acknowledged every one of
them before it returns, so the loop commits the reports' offsets only after their triage is
durable. A replayed batch gives the same event ids (uuid5 of the report's event id), which the
idempotent writes downstream absorb.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from analytics.triage.model import TriageModel, TriageResult
from ioc import topics as tp
from ioc.clock import Clock
from ioc.config import Settings
from ioc.events import CitizenReport, ReportTriaged
from ioc.kafka import Publisher
from ioc.worker import Message, Worker

logger = logging.getLogger(__name__)

WORKER_NAME = "triage"
TRIAGE_NAMESPACE = uuid.UUID("0b7c8f0e-5d6a-4f8e-9a51-3c2d7e1f4a90")
PUBLISH_TIMEOUT_S = 30.0


def triage_event_id(report: CitizenReport) -> uuid.UUID:
    """The same report always yields the same triage event id."""
    return uuid.uuid5(TRIAGE_NAMESPACE, str(report.event_id))


def triaged(report: CitizenReport, result: TriageResult, model_version: str,
            now) -> ReportTriaged:
    """The triage event: stamped `now` on the scenario clock, never before the report."""
    return ReportTriaged(
        event_id=triage_event_id(report),
        ts=max(now, report.ts),
        report_id=report.report_id,
        urgency=result.urgency,
        category=result.category,
        department=result.department,
        confidence=round(result.confidence, 4),
        cues=list(result.cues),
        needs_review=result.needs_review,
        model_version=model_version,
    )


class TriageSink:
    def __init__(self, model: TriageModel, publisher: Publisher, clock: Clock,
                 at_receipt: bool = False) -> None:
        self.model = model
        self.publisher = publisher
        self.clock = clock
        self.at_receipt = at_receipt  # replay: stamped on event time alone

    def __call__(self, batch: Sequence[Message]) -> None:
        reports = [m.event for m in batch if isinstance(m.event, CitizenReport)]
        if not reports:
            return
        results = self.model.predict([r.text for r in reports])
        now = self.clock.now()
        for report, result in zip(reports, results, strict=True):
            self.publisher.publish(tp.REPORTS_TRIAGED, triaged(
                report, result, self.model.model_version, report.ts if self.at_receipt else now))
        # Raises if any send failed, so the loop commits nothing of a batch not all on the broker.
        self.publisher.flush(PUBLISH_TIMEOUT_S)
        logger.debug("triaged a batch", extra={"reports": len(reports),
                                               "urgent": sum(r.urgency == "urgent"
                                                             for r in results)})


def make_worker(settings: Settings, model: TriageModel | None = None,
                publisher: Publisher | None = None, clock: Clock | None = None,
                at_receipt: bool = False) -> Worker:
    """`at_receipt` stamps each result with its report's receipt time instead of the clock's
    now (a replay: the same recording gives the same events at any speed)."""
    model = model or TriageModel.load()
    publisher = publisher or Publisher(settings)
    sink = TriageSink(model, publisher, clock or settings.clock(), at_receipt)
    logger.info("triage model loaded", extra={"model_version": model.model_version})
    return Worker(settings, WORKER_NAME, [tp.CITIZEN_REPORTS], sink, publisher=publisher)
