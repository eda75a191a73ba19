"""Dependencies as named types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ioc.accounts import User, read_token
from ioc.clock import Clock, FakeClock
from ioc.config import Settings
from ioc.db.session import engine
from ioc.kafka import Publisher


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def get_db(request: Request) -> Iterator[sa.Connection]:
    with request.app.state.engine.connect() as conn:
        yield conn


ReplayTag = Annotated[str | None, Query(
    pattern=r"^[0-9a-z]{6,40}$",
    description="Show this replay (its tag from GET /api/replay) instead of the live city: its "
                "data, at its clock")]


def _replay_status(request: Request, tag: str) -> dict:
    from ioc.replay_session import control_dir, read_status

    status = read_status(control_dir(request.app.state.settings))
    if not status or status.get("tag") != tag:
        raise HTTPException(404, f"no replay {tag!r} is on show; GET /api/replay gives the tag "
                                 "of the current one")
    return status


def get_view_db(request: Request, replay: ReplayTag = None) -> Iterator[sa.Connection]:
    """The live city's database, or a replay's own schema (`?replay=<tag>`)."""
    settings = request.app.state.settings
    if replay is not None:
        _replay_status(request, replay)
        settings = settings.model_copy(update={"db_schema": f"replay_{replay}"})
    with (engine(settings) if replay else request.app.state.engine).connect() as conn:
        yield conn


def get_view_clock(request: Request, replay: ReplayTag = None) -> Clock:
    """The live clock, or a replay's: its stream position run on at its speed."""
    if replay is None:
        return request.app.state.clock
    from ioc.replay_session import now_of

    return FakeClock(now_of(_replay_status(request, replay)))


def refuse_nul(request: Request) -> None:
    """No id, code or word has a NUL, and PostgreSQL text cannot hold one: refuse it up front."""
    query = request.query_params.multi_items()
    if "\x00" in request.scope["path"] or any("\x00" in k + v for k, v in query):
        raise HTTPException(400, "the URL contains a NUL character (%00); remove it")


def get_publisher(request: Request) -> Publisher:
    """One producer per API process, made on first use so the API starts without a broker."""
    state = request.app.state
    if state.publisher is None:
        state.publisher = Publisher(state.settings)
    return state.publisher


_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/auth/login")


def get_user(request: Request,
             creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User:
    secret = request.app.state.settings.secret_key.get_secret_value()
    user = read_token(secret, creds.credentials) if creds else None
    if user is not None:  # a disabled or re-roled account takes effect at once, not next shift
        with request.app.state.engine.connect() as conn:
            role = conn.execute(sa.text("SELECT role FROM users WHERE username = :u AND NOT "
                                        "disabled"), {"u": user.username}).scalar()
        user = User(user.username, role) if role else None
    if user is None:
        raise HTTPException(401, "sign in first: POST /api/auth/login, then send the token as "
                                 "'Authorization: Bearer <token>' (tokens last one shift)",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def get_engineer(user: Annotated[User, Depends(get_user)]) -> User:
    if user.role not in ("engineer", "admin"):
        article = "an" if user.role[0] in "aeiou" else "a"
        raise HTTPException(403, f"{user.username} is {article} {user.role}; only engineers and "
                                 "admins start and steer replays")
    return user


def get_operator(user: Annotated[User, Depends(get_user)]) -> User:
    if not user.can_act():
        article = "an" if user.role[0] in "aeiou" else "a"  # "an engineer", "a leader"
        raise HTTPException(403, f"{user.username} is {article} {user.role}; only operators and "
                                 "admins act on reports")
    return user


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ClockDep = Annotated[Clock, Depends(get_clock)]
DbDep = Annotated[sa.Connection, Depends(get_db)]
PublisherDep = Annotated[Publisher, Depends(get_publisher)]
UserDep = Annotated[User, Depends(get_user)]
OperatorDep = Annotated[User, Depends(get_operator)]
EngineerDep = Annotated[User, Depends(get_engineer)]
ViewDbDep = Annotated[sa.Connection, Depends(get_view_db)]
ViewClockDep = Annotated[Clock, Depends(get_view_clock)]
