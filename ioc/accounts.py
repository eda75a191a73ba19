"""Accounts, roles, sign-in tokens and Open311 API keys.

Passwords are hashed with Argon2 (argon2-cffi); API keys are random and stored only as their
SHA-256; sign-in tokens are signed and expire (itsdangerous).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

ROLES = ("operator", "leader", "engineer", "admin")
TOKEN_MAX_AGE_S = 12 * 3600  # one control-room shift
_hasher = PasswordHasher()


class AccountError(ValueError):
    """A refused account operation; the message says what to do."""


@dataclass(frozen=True)
class User:
    username: str
    role: str

    def can_act(self) -> bool:
        """Operators and admins act on reports; leaders and engineers read."""
        return self.role in ("operator", "admin")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


SIMULATED_PREFIX = "sim-"  # the simulated crew's accounts: shown as simulated wherever they act


def is_simulated(username: str | None) -> bool:
    return bool(username) and username.startswith(SIMULATED_PREFIX)


def add_user(conn: psycopg.Connection, username: str, role: str, password: str | None,
             simulated: bool = False) -> str:
    """Create or reset a user; returns the password (generated when none was given). Names
    starting with "sim-" belong to the simulated crew and no one else."""
    if is_simulated(username) != simulated:
        raise AccountError(f"names starting with {SIMULATED_PREFIX!r} are kept for the "
                           "simulated crew; choose another" if not simulated else
                           f"a simulated account's name starts with {SIMULATED_PREFIX!r}")
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise AccountError("a username is letters, digits, '.', '-' or '_'")
    password = password or secrets.token_urlsafe(12)
    if len(password) < 8:
        raise AccountError("a password needs at least 8 characters")
    conn.execute(
        "INSERT INTO users (username, role, password_hash) VALUES (%s, %s, %s) "
        "ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role, "
        "password_hash = EXCLUDED.password_hash, disabled = false",
        (username, role, hash_password(password)))
    return password


def authenticate(conn: psycopg.Connection, username: str, password: str) -> User | None:
    row = conn.execute("SELECT role, password_hash FROM users WHERE username = %s AND NOT disabled",
                       (username,)).fetchone()
    if row is None or not password_matches(row[1], password):
        return None
    return User(username, row[0])


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(conn: psycopg.Connection, name: str) -> str:
    key = "ioc_" + secrets.token_urlsafe(24)
    conn.execute("INSERT INTO api_keys (key_hash, name) VALUES (%s, %s)", (_key_hash(key), name))
    return key


def api_key_name(conn: psycopg.Connection, key: str | None) -> str | None:
    """The key's name if it is valid and not revoked, else None."""
    if not key:
        return None
    row = conn.execute("SELECT name FROM api_keys WHERE key_hash = %s AND NOT revoked",
                       (_key_hash(key),)).fetchone()
    return row[0] if row else None


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="ioc-signin")


def make_token(secret: str, user: User) -> str:
    return _serializer(secret).dumps({"u": user.username, "r": user.role})


def read_token(secret: str, token: str, max_age_s: int = TOKEN_MAX_AGE_S) -> User | None:
    try:
        data = _serializer(secret).loads(token, max_age=max_age_s)
    except (BadSignature, SignatureExpired):
        return None
    return User(data["u"], data["r"])


def bootstrap(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """On a database without users: a first admin and a demo operator with random passwords.
    Returns (username, role, password) to print once; [] when users exist already."""
    if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone():
        return []
    return [(name, role, add_user(conn, name, role, None))
            for name, role in (("admin", "admin"), ("operator", "operator"))]
