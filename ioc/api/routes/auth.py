"""Sign-in for operators, leaders and engineers."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict

from ioc.accounts import authenticate, make_token
from ioc.api.deps import SettingsDep, UserDep
from ioc.api.models import SignedIn
from ioc.db.session import connect

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    password: str


@router.post("/login", summary="Sign in; returns a bearer token for one shift",
             response_model=SignedIn)
def login(body: LoginIn, settings: SettingsDep):
    with connect(settings) as conn:
        user = authenticate(conn, body.username, body.password)
    if user is None:
        raise HTTPException(401, "wrong username or password")
    return {"token": make_token(settings.secret_key.get_secret_value(), user),
            "username": user.username, "role": user.role}


@router.get("/me", summary="Who the token belongs to")
def me(user: UserDep):
    return {"username": user.username, "role": user.role}
