"""The simulated crew at work: signs its operators in, reads the queue and the alarms through the
API every few seconds, and does what `simulators.crew` says is due, as those operators (and, for
ratings, as the citizens who sent the reports).

Everything goes through the public API, so a crew action is judged, stored and shown exactly as a
person's. "Now" is the API's clock (the stream's), so the crew keeps scenario time at any speed.
"""

from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx

from ioc import accounts
from ioc.api import models
from ioc.config import Settings
from ioc.db.session import connect
from ioc.taxonomy import load_taxonomy
from simulators import crew
from simulators.reports import citizen_key

logger = logging.getLogger(__name__)

TICK_S = 2.0
QUEUE_PAGE = 1000
# Actions per tick, the most pressing first (the queue's order), a few at a time: an operator
# waits for each verdict, and a crew that tried every report at once would fall behind on
# the urgent ones in a busy city.
STEPS_PER_TICK = 60
AT_ONCE = 4


class Crew:
    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.seed = settings.seed
        self.client = client or httpx.Client(base_url=settings.api_base_url, timeout=20)
        self.passwords: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        # Reports this crew resolved: when their citizen rates them, and whether in time.
        self.to_rate: dict[str, tuple[datetime, bool]] = {}
        self.done = 0
        taxonomy = load_taxonomy()
        names = {d.code: d.vi for d in taxonomy.departments}
        self.department_name = lambda code: names.get(code, code or "")

    def enlist(self) -> None:
        """Create (or reset) the crew's accounts, with fresh passwords only this process knows."""
        with connect(self.settings, autocommit=True) as conn:
            for name in crew.OPERATORS:
                self.passwords[name] = accounts.add_user(
                    conn, name, "operator", secrets.token_urlsafe(16), simulated=True)

    def _token(self, name: str) -> str:
        if name not in self.tokens:
            r = self.client.post("/api/auth/login",
                                 json={"username": name, "password": self.passwords[name]})
            r.raise_for_status()
            self.tokens[name] = r.json()["token"]
        return self.tokens[name]

    def _post(self, actor: str, path: str, body: dict) -> httpx.Response:
        r = self.client.post(path, json=body,
                             headers={"Authorization": f"Bearer {self._token(actor)}"})
        if r.status_code == 401:  # the token ran out (one shift): sign in again
            self.tokens.pop(actor, None)
            r = self.client.post(path, json=body,
                                 headers={"Authorization": f"Bearer {self._token(actor)}"})
        return r

    def _queue(self) -> models.Queue | None:
        rows, offset, first = [], 0, None
        while True:
            r = self.client.get("/api/reports/queue",
                                params={"limit": QUEUE_PAGE, "offset": offset})
            if r.status_code != 200:
                return None
            page = models.Queue.model_validate_json(r.content)
            first = first or page
            rows += page.reports
            offset += QUEUE_PAGE
            if offset >= page.total or not page.reports:
                return first.model_copy(update={"reports": rows})

    def tick(self) -> int:
        """Do what is due now; returns how many actions were taken."""
        queue = self._queue()
        if queue is None:
            return 0
        now = queue.now
        due = [(row, step) for row in queue.reports
               if (step := crew.next_step(self.seed, row, now, self.department_name))]
        with ThreadPoolExecutor(AT_ONCE) as pool:
            taken = sum(pool.map(lambda rs: self._act(*rs, now), due[:STEPS_PER_TICK]))
        taken += self._rate(now) + self._alarms(now)
        self.done += taken
        return taken

    def _act(self, row: models.ReportRow, step: crew.Step, now: datetime) -> int:
        r = self._post(step.actor, f"/api/reports/{step.report_id}/actions",
                       {"action": step.action, **step.body})
        if r.status_code not in (200, 202):
            if r.status_code != 409:  # 409: someone (a person) got there first
                logger.warning("crew action refused", extra={
                    "report_id": step.report_id, "action": step.action,
                    "status": r.status_code, "detail": r.text[:200]})
            return 0
        if step.action == "resolve":
            plan = crew.plan_for(self.seed, row.report_id, row.urgency, row.received_at)
            in_time = row.first_response_at is not None and row.first_response_at <= row.due_at
            if plan.rated:
                self.to_rate[row.report_id] = (now + plan.rate_after, in_time)
        return 1

    def _rate(self, now: datetime) -> int:
        rated = 0
        for report_id, (due, in_time) in list(self.to_rate.items()):
            if now < due:
                continue
            del self.to_rate[report_id]
            r = self.client.post(f"/api/reports/{report_id}/rating", json={
                "rating": crew.rating_for(self.seed, report_id, in_time),
                "client_key": citizen_key(report_id)})
            rated += r.status_code == 202
        return rated

    def _alarms(self, now: datetime) -> int:
        r = self.client.get("/api/alarms", params=[
            ("state", "unacknowledged"), ("state", "returned_to_normal_unacknowledged")])
        if r.status_code != 200:
            return 0
        acked = 0
        for alarm in models.AlarmList.model_validate_json(r.content).alarms:
            key = str(alarm.alarm_id)
            if now - alarm.raised_at < crew.alarm_ack_after(self.seed, key, alarm.raised_at):
                continue
            operator = crew.shift_at(now).operators[0]
            got = self._post(operator, f"/api/alarms/{key}/actions", {"action": "acknowledge"})
            acked += got.status_code in (200, 202)
        return acked

    def run(self, stop: threading.Event) -> None:
        self.enlist()
        logger.info("simulated crew on duty", extra={"operators": list(crew.OPERATORS)})
        while not stop.is_set():
            try:
                self.tick()
            except httpx.HTTPError as exc:  # the API is restarting: try again next tick
                logger.info("crew waits for the API", extra={"error": str(exc)})
            stop.wait(TICK_S)
        logger.info("simulated crew off duty", extra={"actions": self.done})

