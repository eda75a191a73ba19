"""Dependencies as named types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ioc.accounts import User, read_token
from ioc.clock import Clock
from ioc.config import Settings
from ioc.kafka import Publisher


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def get_db(request: Request) -> Iterator[sa.Connection]:
    with request.app.state.engine.connect() as conn:
        yield conn


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
