"""Poll for a condition instead of sleeping; say what did not happen when it times out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout_s: float, what: str,
               interval_s: float = 0.1) -> T:
    deadline = time.monotonic() + timeout_s
    last: str = "it never answered"
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
            last = f"the last answer was {value!r}"
        except Exception as exc:  # noqa: BLE001 - keep polling; report the last one
            last = f"the last attempt raised {exc!r}"
        time.sleep(interval_s)
    suffix = f" ({last})"
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting until {what}{suffix}")
