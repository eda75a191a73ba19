"""The city model the page's map and ward names come from, fetched through the API client
(which caches the document briefly) and rebuilt only when that document changed."""

from __future__ import annotations

import threading
from collections.abc import Callable

from dashboard import citymap
from dashboard.api import ApiUnavailable, CityApi


class Cities:
    def __init__(self, api: CityApi) -> None:
        self._api = api
        self._lock = threading.Lock()  # waitress serves callbacks on several threads
        self._raw: object = None
        self._model: citymap.CityModel | None = None

    def of(self, raw: object) -> citymap.CityModel | None:
        """The model of a city document the caller already fetched."""
        if not isinstance(raw, dict):
            return None
        with self._lock:
            if raw is not self._raw:
                self._raw, self._model = raw, citymap.city_model(raw)
            return self._model

    def model(self) -> citymap.CityModel | None:
        try:
            return self.of(self._api.city())
        except ApiUnavailable:
            return None

    def ward_namer(self) -> Callable[..., str | None]:
        """ward slug, lang -> the ward's name (the slug itself while the API is away)."""
        city = self.model()
        return city.ward_name if city else (lambda w, _lang="vi": w)
