"""docker-compose.yml cannot be run here (no Docker engine); check it by reading."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from tests.conftest import REPO


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_has_the_production_services() -> None:
    services = compose()["services"]
    wanted = {"web", "crisis-worker", "community-worker", "health-worker", "scheduler", "redis", "postgres"}
    assert wanted <= set(services)


def test_redis_keeps_an_append_only_file() -> None:
    assert "--appendonly" in compose()["services"]["redis"]["command"]


def test_workers_serve_their_own_lane() -> None:
    services = compose()["services"]
    crisis = services["crisis-worker"]["command"]
    community = services["community-worker"]["command"]
    assert crisis[crisis.index("-Q") + 1] == "crisis"
    assert community[community.index("-Q") + 1] == "community"
    health = services["health-worker"]["command"]
    assert health[health.index("-Q") + 1] == "health"


def test_worker_concurrency_is_the_settings_variable_with_the_settings_default() -> None:
    """The compose file names the same variable and default as ``ernstfall up`` (one setting)."""
    from publisher.settings import Settings

    services = compose()["services"]
    for service, field in (
        ("crisis-worker", "crisis_concurrency"),
        ("community-worker", "community_concurrency"),
    ):
        command = services[service]["command"]
        value = command[command.index("--concurrency") + 1]
        variable = Settings.model_fields[field].validation_alias
        assert value == f"${{{variable}:-{Settings.model_fields[field].default}}}", (service, value)


def test_app_services_use_postgres_and_redis_by_environment() -> None:
    for name in ("web", "crisis-worker", "community-worker", "scheduler", "migrate"):
        env = compose()["services"][name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["REDIS_URL"] == "redis://redis:6379/0"


def test_commands_point_at_code_that_exists() -> None:
    services = compose()["services"]
    web = services["web"]["command"]
    module, _, factory = web[-1].partition(":")
    assert hasattr(importlib.import_module(module), factory.removesuffix("()"))
    assert importlib.import_module("workers.celery_app").app is not None


def test_no_secret_is_written_into_the_file() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    assert "${POSTGRES_PASSWORD:?" in text
    assert ".env" in Path(REPO / ".gitignore").read_text().splitlines()
