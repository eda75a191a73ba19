"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under /open311/v2/."""

from ioc.api.open311.routes import router

__all__ = ["router"]
