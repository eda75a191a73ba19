"""The FastAPI application: `create_app()` is the composition root."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from fastapi import Depends, FastAPI, Request

from ioc.api import errors, open311
from ioc.api.deps import refuse_nul
from ioc.api.routes import alarms, auth, cameras, city, replay, reports, system
from ioc.clock import Clock
from ioc.config import Settings, get_settings
from ioc.db.session import engine


def create_app(settings: Settings | None = None, clock: Clock | None = None,
               replay_sources: Callable[[], list[dict]] | None = None) -> FastAPI:
    """`replay_sources` lists the scenarios /replay offers (`ioc api` passes the simulators'
    library; the core does not import a stage)."""
    settings = settings or get_settings()
    app = FastAPI(title="IOC API", version="0.1.0",
                  description="Intelligent Operations Center: the city's live data, KPIs, "
                              "citizen reports (Open311) and health.",
                  dependencies=[Depends(refuse_nul)])
    app.state.settings = settings
    app.state.clock = clock or settings.clock()
    app.state.engine = engine(settings)
    app.state.request_counts = Counter()
    app.state.replay_sources = replay_sources
    app.state.publisher = None  # made on first use (ioc.api.deps.get_publisher)

    @app.middleware("http")
    async def count_responses(request: Request, call_next):
        response = await call_next(request)
        app.state.request_counts[f"{response.status_code // 100}xx"] += 1
        return response

    errors.install(app)
    app.include_router(system.router)
    app.include_router(city.router)
    app.include_router(cameras.router)
    app.include_router(reports.router)
    app.include_router(alarms.router)
    app.include_router(replay.router)
    app.include_router(auth.router)
    app.include_router(open311.router)
    return app
