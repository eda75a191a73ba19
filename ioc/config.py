"""Settings: the one place configuration is read (environment variables `IOC_*`)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import AwareDatetime, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IOC_", extra="forbid", env_file=None)

    # Infrastructure. Empty means "start an embedded one" under `ioc up`.
    kafka_bootstrap: str = Field("", description="Kafka bootstrap servers, host:port[,host:port]")
    database_url: SecretStr = Field(
        SecretStr(""), description="PostgreSQL URL, postgresql://user:pass@host:port/db"
    )
    db_schema: str = Field("ioc", description="PostgreSQL schema that holds the IOC tables")
    topic_prefix: str = Field("", description="Prefix for every topic name (test isolation)")
    data_dir: Path = Field(PROJECT_ROOT / ".data", description="Embedded database data, models")

    # Ports of the services `ioc up` starts.
    host: str = Field("127.0.0.1", description="Address the API and dashboard listen on")
    api_port: int = Field(8000, ge=1, le=65535, description="HTTP API (FastAPI, Open311)")
    dashboard_port: int = Field(8050, ge=1, le=65535, description="Dashboard (Dash)")
    ingest_port: int = Field(8001, ge=1, le=65535, description="HTTP ingest for sensor gateways")
    mqtt_port: int = Field(1883, ge=1, le=65535, description="Embedded MQTT broker for sensor "
                           "gateways (topic ioc/readings/<sensor_id>)")
    mqtt_url: str = Field(
        "", description="External MQTT broker, mqtt://host:port (e.g. mosquitto); empty starts "
        "an embedded one under `ioc up`")
    mqtt_device_rate_per_s: float = Field(
        5.0, gt=0, description="Readings per second one device may send over MQTT; beyond it "
        "they are dead-lettered as a flood")
    broker_port: int = Field(9092, ge=1, le=65535, description="Embedded broker port")
    broker_memory_mb: int = Field(
        1024, ge=64, description="Embedded broker memory budget; above it the broker is drained "
        "and restarted (it keeps everything in memory)")
    db_port: int = Field(5433, ge=1, le=65535, description="Embedded PostgreSQL port")
    api_url: str = Field(
        "", description="API base URL the dashboard calls (default from host/port)")

    # The city and its scenario.
    seed: int = Field(7, description="Scenario seed: the same seed gives the same city")
    scenario_speed: float = Field(1.0, gt=0, description="Scenario clock speed (1 = live)")
    scenario_start: AwareDatetime | None = Field(
        None, description="Scenario time at IOC_SCENARIO_EPOCH (default: when `ioc up` starts)")
    scenario_epoch: AwareDatetime | None = Field(
        None, description="Wall time at which the scenario stood at IOC_SCENARIO_START")
    sensor_interval_s: float = Field(10.0, gt=0, description="Scenario seconds between readings")
    report_rate_per_h: float = Field(30.0, ge=0, description="Citizen reports per scenario hour")
    report_backlog_h: float = Field(
        1.0, ge=0, le=24, description="Scenario hours of citizen reports sent when the simulator "
        "starts, as received before it: the queue opens with a shift's worth of open reports")
    camera_fps: float = Field(1.0, ge=0, description="Frames per second per simulated camera")
    cameras: int = Field(4, ge=0, le=16, description="Simulated cameras (the city model has 16)")
    vision_model: Path | None = Field(
        None, description="The vision worker's detector: an Ultralytics YOLO detection model "
        "exported to ONNX (`yolo export format=onnx`); default the shipped traffic model "
        "(analytics/vision/model/traffic-yolo.onnx)")
    vision_class_map: Path | None = Field(
        None, description="JSON object mapping the model's class names to person, bicycle, car, "
        "motorcycle, bus, truck (e.g. for a COCO model); default: names that match are kept")
    vision_conf: float = Field(0.3, gt=0, lt=1, description="Least detection score kept")
    vision_window_s: float = Field(
        60.0, ge=10, le=3600, description="Event-time window of the traffic metrics per camera")
    frame_archive_every_s: float = Field(
        10.0, ge=0, le=3600, description="Keep one frame per camera every this many event-time "
        "seconds (the first of each slot) in camera_frames, for `ioc record`; 0 keeps none. "
        "Disk: the simulator's 640x360 frames are ~35 KB, so 4 cameras take about 50 MB an "
        "hour")
    frame_archive_hours: float = Field(
        6.0, ge=0, le=24 * 30, description="Hours of each camera's archived frames kept, on its "
        "own event time (older ones are pruned as new ones arrive); 0 keeps none. At the "
        "defaults 4 simulated cameras keep about 300 MB")
    simulate: bool = Field(True, description="Run the simulators under `ioc up`")
    history_days: int = Field(
        1, ge=0, le=90, description="Days of the city's past `ioc up` stores on its first start "
        "(ioc history generate), so every KPI has real figures at once; 0 starts empty")
    crew: bool = Field(
        True, description="Run the simulated control-room crew under `ioc up` (accounts sim-…: "
        "they acknowledge, answer and resolve reports and acknowledge alarms); false leaves "
        "the city to real operators")

    # The consumer loop.
    batch_max: int = Field(5000, ge=1, description="Most records one poll hands to a sink")
    poll_timeout_ms: int = Field(200, ge=1, description="How long one poll waits for records")
    heartbeat_interval_s: float = Field(2.0, gt=0, description="Worker heartbeat period")
    worker_stale_s: float = Field(15.0, gt=0, description="A worker silent this long is down")
    worker_lag_warn_s: float = Field(10.0, gt=0, description="A worker this far behind is lagging")
    expected_workers: str = Field(
        "persistence,triage", description="Workers /health expects, comma-separated")

    display_tz: str = Field("Asia/Ho_Chi_Minh", description="Time zone times are shown in")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    secret_key: SecretStr = Field(
        SecretStr("dev-only-change-me"),
        description="Signs sessions; set a long random value outside development")

    @field_validator("db_schema")
    @classmethod
    def _plain_identifier(cls, v: str) -> str:
        if not v.replace("_", "").isalnum() or not v[0].isalpha():
            raise ValueError("must be letters, digits and _ starting with a letter, e.g. 'ioc'")
        return v.lower()

    @property
    def embedded_kafka(self) -> bool:
        return not self.kafka_bootstrap

    @property
    def embedded_db(self) -> bool:
        return not self.database_url.get_secret_value()

    @property
    def embedded_mqtt(self) -> bool:
        return not self.mqtt_url

    @property
    def api_base_url(self) -> str:
        return self.api_url or f"http://{self.host}:{self.api_port}"

    def clock(self):
        """The scenario clock every process of this city shares (see ioc.clock)."""
        from ioc.clock import scenario_clock

        return scenario_clock(self.scenario_start, self.scenario_epoch, self.scenario_speed)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def as_env(self) -> dict[str, str]:
        """Every setting as the `IOC_*` variable that parses back to it, so a child process
        started with these sees exactly this configuration. A setting that is None is left
        unset (its default); a secret is written out, since the child needs it."""
        env = {}
        for name, value in self.model_dump(mode="json").items():
            setting = getattr(self, name)
            if setting is None:
                continue
            if isinstance(setting, SecretStr):
                value = setting.get_secret_value()
            # Strings as they are; numbers, booleans and anything composite as JSON, which
            # pydantic-settings reads back into the field's type.
            env[f"IOC_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
        return env


@lru_cache
def get_settings() -> Settings:
    return Settings()


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """(variable, effective value with secrets masked, description) for `ioc config`."""
    rows = []
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = _mask(value.get_secret_value())
        else:
            shown = str(value)
        rows.append((f"IOC_{name.upper()}", shown, field.description or ""))
    return rows


def _mask(secret: str) -> str:
    if not secret:
        return ""
    if "://" in secret and "@" in secret:  # keep the URL readable, hide the password
        scheme, rest = secret.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" not in creds:  # no password to hide
            return secret
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:****@{host}"
    return "****"
