"""Typed settings read from the environment.

Secrets may be given directly (``NAME``) or through a file (``NAME_FILE``), the way
container secrets are mounted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


N = TypeVar("N", int, float)


def _envnumber(name: str, default: N, cast: type[N], kind: str) -> N:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return cast(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be {kind}, got {raw!r}") from exc


def envint(name: str, default: int) -> int:
    return _envnumber(name, default, int, "an integer")


def envfloat(name: str, default: float) -> float:
    return _envnumber(name, default, float, "a number")


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on", "ja"}


def envsecret(name: str, default: str = "") -> str:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return default


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    redis_url: str | None
    channels_file: Path
    public_dir: Path
    media_dir: Path
    public_base_url: str
    timezone: str
    http_timeout: float
    lease_seconds: int
    requeue_after_seconds: int
    broker_visibility_timeout: int
    tick_seconds: float
    late_post_minutes: int
    max_attempts_community: int
    max_attempts_crisis: int
    backoff_base_seconds: float
    backoff_cap_seconds: float
    secret_key: str = field(repr=False, default="")
    secure_cookies: bool = False

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def banner_file(self) -> Path:
        return self.public_dir / "banner.json"


def redis_url_file(home: Path) -> Path:
    """Where ``ernstfall up`` writes the URL of the Redis it started."""
    return home / "run" / "redis.url"


def load_settings() -> Settings:
    home = Path(envstr("ERNSTFALL_HOME", "instance")).resolve()
    database_url = envsecret("DATABASE_URL") or f"sqlite:///{home / 'ernstfall.db'}"
    redis_url = envsecret("REDIS_URL") or None
    if redis_url is None and redis_url_file(home).exists():
        redis_url = redis_url_file(home).read_text(encoding="utf-8").strip() or None
    return Settings(
        home=home,
        database_url=database_url,
        redis_url=redis_url,
        channels_file=Path(envstr("ERNSTFALL_CHANNELS", str(home / "channels.toml"))),
        public_dir=Path(envstr("ERNSTFALL_PUBLIC_DIR", str(home / "public"))),
        media_dir=Path(envstr("ERNSTFALL_MEDIA_DIR", str(home / "media"))),
        public_base_url=envstr("ERNSTFALL_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/"),
        timezone=envstr("ERNSTFALL_TIMEZONE", "Europe/Berlin"),
        http_timeout=envfloat("ERNSTFALL_HTTP_TIMEOUT", 15.0),
        lease_seconds=envint("ERNSTFALL_LEASE_SECONDS", 90),
        requeue_after_seconds=envint("ERNSTFALL_REQUEUE_AFTER_SECONDS", 30),
        broker_visibility_timeout=envint("ERNSTFALL_VISIBILITY_TIMEOUT", 3600),
        tick_seconds=envfloat("ERNSTFALL_TICK_SECONDS", 1.0),
        late_post_minutes=envint("ERNSTFALL_LATE_POST_MINUTES", 30),
        max_attempts_community=envint("ERNSTFALL_MAX_ATTEMPTS_COMMUNITY", 8),
        max_attempts_crisis=envint("ERNSTFALL_MAX_ATTEMPTS_CRISIS", 30),
        backoff_base_seconds=envfloat("ERNSTFALL_BACKOFF_BASE", 2.0),
        backoff_cap_seconds=envfloat("ERNSTFALL_BACKOFF_CAP", 300.0),
        secret_key=envsecret("ERNSTFALL_SECRET_KEY"),
        secure_cookies=envbool("ERNSTFALL_SECURE_COOKIES", False),
    )
