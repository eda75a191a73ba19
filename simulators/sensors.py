"""Sensor readings as pure functions of (seed, sensor, event time).

No state is carried between readings: every random draw comes from a `random.Random` keyed by the
seed plus what it is about (a day's weather, a sensor's faults that day, one reading). So any
window of scenario time can be generated on its own and always gives the same events, which is
what replay and the tests rely on.

What the readings show: daily cycles (heat mid-afternoon, humidity the inverse, PM2.5 and noise
following traffic), afternoon showers in the rainy season that streams answer with a lag, and
incidents: a pollution spike at one air station, a flood rise at one stream after heavy rain, a
sensor that goes silent for a while (no reading) or repeats a stuck value.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from ioc.city import City, SensorSite
from ioc.events import SENSOR_UNITS, SensorKind, SensorReading
from simulators.rhythm import LOCAL_TZ, local_hour, traffic_level

# Southern Vietnam: rainy season May-November, afternoon showers. Chance of a shower day by month.
RAIN_CHANCE = {1: .03, 2: .03, 3: .08, 4: .2, 5: .55, 6: .7, 7: .7, 8: .75, 9: .8, 10: .7,
               11: .45, 12: .12}
MEAN_TEMP_C = {1: 26.8, 2: 27.6, 3: 28.8, 4: 29.8, 5: 29.4, 6: 28.4, 7: 28.0, 8: 27.9, 9: 27.7,
               10: 27.6, 11: 27.3, 12: 26.8}
HEAVY_RAIN_MM_H = 30.0          # a shower this strong floods one stream
POLLUTION_SPIKE_CHANCE = 0.12   # per air station per day: burning, construction dust
OUTAGE_CHANCE = 0.10            # per sensor per day: goes silent for 10-120 min
STUCK_CHANCE = 0.05             # per sensor per day: repeats one value for 30-180 min
WATER_TAU_H, WATER_LAG_H = 4.0, 0.75   # streams rise after rain and drain over hours
WATER_GAIN_M_PER_MM = 0.018
FLOOD_GAIN = 2.2                # the flooded stream's rise relative to a normal one


def _rng(*key: object) -> random.Random:
    """A generator keyed by the seed and what it is for (str seeds hash with SHA-512: stable)."""
    return random.Random(":".join(str(k) for k in key))


@dataclass(frozen=True)
class Span:
    start_s: float  # POSIX seconds
    end_s: float

    def covers(self, t_s: float) -> bool:
        return self.start_s <= t_s < self.end_s


@dataclass(frozen=True)
class Shower(Span):
    mm_per_h: float


@dataclass(frozen=True)
class DayWeather:
    day: date  # local date
    mean_temp_c: float
    showers: tuple[Shower, ...]
    flood_stream: str | None  # a heavy shower floods this stream


@dataclass(frozen=True)
class Spike(Span):
    peak: float  # µg/m³ PM2.5 added at the middle of the span


def _local_start_s(day: date, hour: float) -> float:
    midnight = datetime.combine(day, time(0), LOCAL_TZ)
    return (midnight + timedelta(hours=hour)).timestamp()


@lru_cache(maxsize=64)
def weather_on(seed: int, day: date, streams: tuple[str, ...]) -> DayWeather:
    """The city's weather on one local day: the same for every sensor."""
    rng = _rng(seed, "weather", day.isoformat())
    mean = MEAN_TEMP_C[day.month] + rng.gauss(0, 0.7)
    showers = []
    if rng.random() < RAIN_CHANCE[day.month]:
        for _ in range(1 if rng.random() < 0.7 else 2):
            start = _local_start_s(day, rng.uniform(13.0, 19.0))
            hours = rng.uniform(0.4, 2.2)
            mm_per_h = min(80.0, rng.lognormvariate(math.log(14), 0.6))
            showers.append(Shower(start, start + hours * 3600, mm_per_h))
    heavy = any(s.mm_per_h >= HEAVY_RAIN_MM_H for s in showers)
    flood_stream = rng.choice(streams) if heavy and streams else None
    return DayWeather(day, mean, tuple(showers), flood_stream)


@dataclass(frozen=True)
class Faults:
    outage: Span | None
    stuck: Span | None


@lru_cache(maxsize=4096)
def faults_on(seed: int, sensor_id: str, day: date) -> Faults:
    """Drop-outs and stuck values of one sensor starting on one local day."""
    rng = _rng(seed, "faults", sensor_id, day.isoformat())
    outage = stuck = None
    if rng.random() < OUTAGE_CHANCE:
        start = _local_start_s(day, rng.uniform(0, 24))
        outage = Span(start, start + rng.uniform(10, 120) * 60)
    if rng.random() < STUCK_CHANCE:
        start = _local_start_s(day, rng.uniform(0, 24))
        stuck = Span(start, start + rng.uniform(30, 180) * 60)
    return Faults(outage, stuck)


@lru_cache(maxsize=1024)
def spike_on(seed: int, station: str, day: date) -> Spike | None:
    rng = _rng(seed, "spike", station, day.isoformat())
    if rng.random() >= POLLUTION_SPIKE_CHANCE:
        return None
    start = _local_start_s(day, rng.uniform(6, 22))
    return Spike(start, start + rng.uniform(1, 3) * 3600, rng.uniform(70, 160))


def _days_around(t_s: float) -> tuple[date, date]:
    """Today and yesterday (local): yesterday's showers and faults can reach into today."""
    today = datetime.fromtimestamp(t_s, LOCAL_TZ).date()
    return today - timedelta(days=1), today


def _smooth_noise(seed: int, key: str, t_s: float, period_s: float) -> float:
    """Slowly varying N(0,1)-ish noise: random knots every period_s, linearly interpolated."""
    k, frac = divmod(t_s / period_s, 1.0)
    a = _rng(seed, "drift", key, int(k)).gauss(0, 1)
    b = _rng(seed, "drift", key, int(k) + 1).gauss(0, 1)
    return a + (b - a) * frac


def _rain_memory_mm(weather: tuple[DayWeather, ...], t_s: float, tau_h: float) -> float:
    """Rain filtered by exponential decay (time constant tau): how wet the city still is."""
    total = 0.0
    tau_s = tau_h * 3600
    for day in weather:
        for s in day.showers:
            if t_s <= s.start_s:
                continue
            wet_s = min(t_s, s.end_s) - s.start_s
            filled = s.mm_per_h * tau_h * (1 - math.exp(-wet_s / tau_s))
            total += filled * math.exp(-max(0.0, t_s - s.end_s) / tau_s)
    return total


class _Conditions:
    """Everything one reading at one instant depends on, computed once."""

    def __init__(self, city: City, seed: int, t_s: float) -> None:
        streams = tuple(s.slug for s in city.streams)
        self.seed, self.t_s = seed, t_s
        self.days = tuple(weather_on(seed, d, streams) for d in _days_around(t_s))
        self.hour = local_hour(datetime.fromtimestamp(t_s, UTC))
        self.traffic = traffic_level(self.hour)
        self.raining_mm_h = sum(s.mm_per_h for d in self.days for s in d.showers if s.covers(t_s))
        self.wet_mm = _rain_memory_mm(self.days, t_s, tau_h=1.5)

    def temperature(self, station: str) -> float:
        today = self.days[-1]
        cycle = 4.2 * math.cos(2 * math.pi * (self.hour - 14.5) / 24)  # peak mid-afternoon
        cooling = 3.0 * min(1.0, self.wet_mm / 12)
        drift = 0.6 * _smooth_noise(self.seed, station, self.t_s, 3 * 3600)
        return today.mean_temp_c + 0.5 + cycle - cooling + drift

    def humidity(self, station: str) -> float:
        warm = self.temperature(station) - self.days[-1].mean_temp_c
        drift = 2.0 * _smooth_noise(self.seed, station + "/rh", self.t_s, 2 * 3600)
        return 76 - 3.3 * warm + 14 * min(1.0, self.wet_mm / 10) + drift

    def pm25(self, station: str) -> float:
        base = _rng(self.seed, "station-base", station).uniform(11, 20)
        evening_inversion = 7 * math.exp(-((self.hour - 21) ** 2) / 4)
        washout = 1 - 0.5 * min(1.0, self.wet_mm / 15)
        drift = math.exp(0.18 * _smooth_noise(self.seed, station, self.t_s, 1800))
        value = (base + 28 * self.traffic + evening_inversion) * washout * drift
        for day in self.days:
            spike = spike_on(self.seed, station, day.day)
            if spike and spike.covers(self.t_s):
                phase = (self.t_s - spike.start_s) / (spike.end_s - spike.start_s)
                value += spike.peak * math.sin(math.pi * phase) ** 2
        return value

    def pm10(self, station: str) -> float:
        ratio = 1.6 + 0.08 * _smooth_noise(self.seed, station + "/pm10", self.t_s, 3600)
        return self.pm25(station) * ratio

    def noise(self, station: str) -> float:
        drift = 1.8 * _smooth_noise(self.seed, station, self.t_s, 900)
        return 46 + 30 * self.traffic + 3 * min(1.0, self.raining_mm_h / 20) + drift

    def rainfall(self, station: str) -> float:
        if self.raining_mm_h == 0:
            return 0.0
        local = _rng(self.seed, "rain-share", station, self.days[-1].day.isoformat())
        gusts = 1 + 0.25 * _smooth_noise(self.seed, station + "/rain", self.t_s, 300)
        return max(0.0, self.raining_mm_h * local.uniform(0.6, 1.4) * gusts)

    def water_level(self, site: SensorSite) -> float:
        base = _rng(self.seed, "water-base", site.id).uniform(0.5, 0.75)
        rise = 0.0
        for day in self.days:
            # Each day's showers raise the stream; the flooded one (after heavy rain) far more.
            gain = WATER_GAIN_M_PER_MM * (FLOOD_GAIN if day.flood_stream == site.stream else 1.0)
            rise += gain * _rain_memory_mm((day,), self.t_s - WATER_LAG_H * 3600, WATER_TAU_H)
        daily = 0.04 * math.sin(2 * math.pi * (self.hour - 3) / 24)
        drift = 0.02 * _smooth_noise(self.seed, site.id, self.t_s, 1800)
        return base + daily + drift + rise


# Plausible physical limits; a simulated value never leaves them.
LIMITS: dict[SensorKind, tuple[float, float, int]] = {  # (low, high, decimals)
    SensorKind.TEMPERATURE: (18.0, 40.0, 1),
    SensorKind.HUMIDITY: (30.0, 100.0, 1),
    SensorKind.PM25: (1.0, 300.0, 1),
    SensorKind.PM10: (2.0, 500.0, 1),
    SensorKind.NOISE: (35.0, 95.0, 1),
    SensorKind.RAINFALL: (0.0, 150.0, 1),
    SensorKind.WATER_LEVEL: (0.2, 3.0, 2),
}


def true_value(city: City, site: SensorSite, at: datetime, seed: int) -> float:
    """What the sensor would measure at `at`, ignoring its faults; rounded and within LIMITS."""
    c = _Conditions(city, seed, at.timestamp())
    kind = site.kind
    if kind is SensorKind.WATER_LEVEL:
        raw = c.water_level(site)
    else:
        raw = {
            SensorKind.TEMPERATURE: c.temperature,
            SensorKind.HUMIDITY: c.humidity,
            SensorKind.PM25: c.pm25,
            SensorKind.PM10: c.pm10,
            SensorKind.NOISE: c.noise,
            SensorKind.RAINFALL: c.rainfall,
        }[kind](site.station)
    low, high, decimals = LIMITS[kind]
    return round(min(high, max(low, raw)), decimals)


def reading_at(city: City, site: SensorSite, at: datetime, seed: int) -> SensorReading | None:
    """The reading `site` sends at `at`, or None while it is silent (a drop-out)."""
    t_s = at.timestamp()
    faults = [faults_on(seed, site.id, d) for d in _days_around(t_s)]
    if any(f.outage and f.outage.covers(t_s) for f in faults):
        return None
    stuck = next((f.stuck for f in faults if f.stuck and f.stuck.covers(t_s)), None)
    measured_at = datetime.fromtimestamp(stuck.start_s, UTC) if stuck else at
    value = true_value(city, site, measured_at, seed)
    rng = _rng(seed, "reading", site.id, round(t_s * 1e6))
    event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    if not stuck and site.kind is not SensorKind.RAINFALL:
        # Instrument noise on top of the smooth signal; a stuck sensor repeats itself exactly.
        low, high, decimals = LIMITS[site.kind]
        value = round(min(high, max(low, value * (1 + rng.gauss(0, 0.004)))), decimals)
    return SensorReading(
        event_id=event_id,
        ts=at,
        sensor_id=site.id,
        kind=site.kind,
        value=value,
        unit=SENSOR_UNITS[site.kind],
    )
