"""The embedded MQTT broker (amqtt) that sensor gateways publish to when no IOC_MQTT_URL is set.

It runs in a background thread with its own asyncio loop, so the bridge and everything else in
the process stay plain threads. Anonymous clients are allowed: it listens on 127.0.0.1 unless
told otherwise, and a reading still has to come from a registered sensor to be accepted.

amqtt 0.12.1 waits forever for a client's CONNECT and never enforces keep-alive (its read
timeout handler does nothing). Each idle connection costs only a task, so it blocks no one,
but over weeks half-open device connections pile up. This broker closes a connection that
sends no CONNECT within `connect_timeout_s`, and one that is silent for 1.5 x its keep-alive,
as MQTT 3.1.1 (3.1.2.10) asks of a server.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from concurrent.futures import Future

from amqtt.adapters import ReaderAdapter, WriterAdapter
from amqtt.broker import Broker
from amqtt.errors import AMQTTError
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.session import Session

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0


class MqttBrokerError(RuntimeError):
    """The embedded broker could not start; the message says why and what to do."""


class _DeadlineBroker(Broker):
    """amqtt's broker, with a deadline for CONNECT and keep-alive enforced."""

    connect_timeout_s: float = CONNECT_TIMEOUT_S

    async def _initialize_client_session(
        self, reader: ReaderAdapter, writer: WriterAdapter, remote_address: str, remote_port: int,
    ) -> tuple[BrokerProtocolHandler, Session]:
        try:
            handler, session = await asyncio.wait_for(
                super()._initialize_client_session(reader, writer, remote_address, remote_port),
                self.connect_timeout_s)
        except TimeoutError:
            await writer.close()
            # amqtt's own handling of a failed CONNECT: the connection slot is released.
            raise AMQTTError(f"no CONNECT from {remote_address}:{remote_port} within "
                             f"{self.connect_timeout_s:g} s; connection closed") from None
        if session.keep_alive > 0:
            session.keep_alive = math.ceil(session.keep_alive * 1.5)

            def close_silent() -> None:  # the reader loop calls this when keep-alive runs out
                asyncio.ensure_future(handler.handle_connection_closed())

            handler.handle_read_timeout = close_silent
        return handler, session


def _config(host: str, port: int) -> dict:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        # Only anonymous authentication: no packet or event logging plugin (one log line per
        # packet) and no $SYS topics, which nobody here reads.
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


class EmbeddedMqttBroker:
    """amqtt on `host:port` in a thread of its own: `start()`, then `stop()`."""

    def __init__(self, port: int, host: str = "127.0.0.1",
                 connect_timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self.host = host
        self.port = port
        self.connect_timeout_s = connect_timeout_s
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None

    def start(self, timeout_s: float = 10.0) -> EmbeddedMqttBroker:
        """Start listening; returns once the broker accepts connections."""
        # amqtt logs every connection at INFO (and `transitions`, its state machine, every
        # state change); keep their warnings, unless the caller chose a level for them.
        for chatty in ("amqtt", "transitions"):
            if logging.getLogger(chatty).level == logging.NOTSET:
                logging.getLogger(chatty).setLevel(logging.WARNING)
        self._loop = asyncio.new_event_loop()
        self._stopped = asyncio.Event()
        started: Future[None] = Future()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True,
                                        name=f"mqtt-broker-{self.port}")
        self._thread.start()
        try:
            started.result(timeout_s)
        except TimeoutError:
            self.stop()
            raise MqttBrokerError(f"the embedded MQTT broker did not start on {self.host}:"
                                  f"{self.port} within {timeout_s:g} s") from None
        except Exception as exc:
            self.stop()
            raise MqttBrokerError(
                f"the embedded MQTT broker cannot listen on {self.host}:{self.port} ({exc}). "
                "Free the port or set IOC_MQTT_PORT, or set IOC_MQTT_URL to use another broker."
            ) from None
        logger.info("MQTT broker listening", extra={"host": self.host, "port": self.port})
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Disconnect every client and stop listening; returns once the port is free."""
        if self._thread is None or self._loop is None or self._stopped is None:
            return
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            logger.warning("the MQTT broker did not stop in time", extra={"port": self.port})
        self._thread = None

    def _serve(self, started: Future[None]) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main(started))
        except Exception as exc:  # noqa: BLE001 - the starter raises it with advice
            if not started.done():
                started.set_exception(exc)
            else:
                logger.exception("the MQTT broker stopped on an error")
        finally:
            self._loop.close()

    async def _main(self, started: Future[None]) -> None:
        assert self._stopped is not None
        broker = _DeadlineBroker(_config(self.host, self.port))
        broker.connect_timeout_s = self.connect_timeout_s
        await broker.start()
        started.set_result(None)
        await self._stopped.wait()
        await broker.shutdown()
