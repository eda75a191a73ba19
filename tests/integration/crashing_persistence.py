"""A persistence worker that is SIGKILLed right after its first durable write, before the
commit: the worst moment to die. Run as a script by test_exactly_once.py."""

import os
import signal
import threading

from ioc.config import get_settings
from ioc.persistence import PersistenceSink, make_worker

settings = get_settings()
real_sink = PersistenceSink(settings)


def sink_then_die(batch):
    real_sink(batch)  # durable: the transaction has committed
    os.kill(os.getpid(), signal.SIGKILL)  # ...and the offsets never will


make_worker(settings, sink=sink_then_die).run(threading.Event())
