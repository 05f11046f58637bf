"""The production shape (docker-compose.yml, Dockerfile, .dockerignore), checked without Docker.

No Docker engine runs where the tests run, so these tests read the files: services and their
commands, the environment each one needs, healthchecks, start-up order, one image for the
application processes, a non-root image that installs the pinned requirements and runs gunicorn.
They need no database.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING_APP_SERVICES = ("web", "worker", "beat")

# What an operator would put in .env; used to resolve ${VAR:-default} / ${VAR:?message}.
DOTENV = {
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "devotracker.example.org",
    "SITE_URL": "https://devotracker.example.org",
    "POSTGRES_PASSWORD": "s3cret-pg-password",
}

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable substitution (the subset used here); a missing required one raises."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = env.get(name)
        if op in (":?", "?") and not current:
            raise KeyError(f"{name} is required: {arg}")
        if op in (":-", "-") and not current:
            return arg
        return current or ""

    return _VAR.sub(replace, value.replace("$$", "\0")).replace("\0", "$")


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert command, "every service here states its command explicitly"
    return command if isinstance(command, list) else shlex.split(command)


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def env_of(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: interpolate(str(value), DOTENV) for key, value in environment.items()}


# --- docker-compose.yml -------------------------------------------------------------------------


def test_all_services_are_defined(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)


def test_postgres_has_a_volume_and_a_pg_isready_healthcheck(compose: dict[str, Any], services: dict[str, Any]) -> None:
    postgres = services["postgres"]
    assert re.match(r"postgres:1[56]\b", postgres["image"])
    assert "pg_isready" in healthcheck_text(postgres)
    volume = next(v for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume.split(":")[0] in compose["volumes"], "data lives in a named volume"
    env = env_of(postgres)
    assert env["POSTGRES_DB"] and env["POSTGRES_USER"] and env["POSTGRES_PASSWORD"] == DOTENV["POSTGRES_PASSWORD"]


def test_redis_has_a_ping_healthcheck(services: dict[str, Any]) -> None:
    redis = services["redis"]
    assert redis["image"].startswith("redis:")
    assert "redis-cli ping" in healthcheck_text(redis)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_application_services_share_one_image(services: dict[str, Any], name: str) -> None:
    assert services[name]["image"] == services["web"]["image"]
    assert services[name]["build"] == services["web"]["build"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_application_services_get_the_environment_they_need(services: dict[str, Any], name: str) -> None:
    env = env_of(services[name])
    assert env["PRODUCTION"] == "true"
    assert env["SECRET_KEY"] == DOTENV["SECRET_KEY"]
    assert env["ALLOWED_HOSTS"] == DOTENV["ALLOWED_HOSTS"]
    assert env.get("DEBUG", "false").lower() in {"0", "false", "no", "off"}

    database = dj_database_url.parse(env["DATABASE_URL"])
    postgres = env_of(services["postgres"])
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"]) == ("postgres", 5432)
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        postgres["POSTGRES_DB"],
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL"):
        assert env[key].startswith("redis://redis:6379/"), key
    assert len({env["CELERY_BROKER_URL"], env["CELERY_RESULT_BACKEND"], env["CACHE_URL"]}) == 3, "separate Redis databases"


def test_secrets_are_not_written_into_the_file(services: dict[str, Any]) -> None:
    raw_web = services["web"]["environment"]
    assert raw_web["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "${POSTGRES_PASSWORD:?" in raw_web["DATABASE_URL"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    with pytest.raises(KeyError, match="SECRET_KEY"):
        interpolate(raw_web["SECRET_KEY"], {})


def test_application_environment_names_are_ones_the_settings_read(services: dict[str, Any]) -> None:
    settings_source = (ROOT / "devotracker" / "settings.py").read_text()
    read_elsewhere = {"WEB_CONCURRENCY"}  # gunicorn's own variable
    for name in APP_SERVICES:
        for key in services[name]["environment"]:
            assert key in read_elsewhere or f'"{key}"' in settings_source, f"{name}: {key} is not read by the settings"


def test_web_runs_gunicorn_with_a_health_check(services: dict[str, Any]) -> None:
    web = services["web"]
    command = command_of(web)
    assert command[0] == "gunicorn" and "devotracker.wsgi:application" in command
    assert "/health/" in healthcheck_text(web)
    assert web["ports"], "web is published (to a reverse proxy)"


def test_web_healthcheck_is_valid_python(services: dict[str, Any]) -> None:
    test = services["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    compile(test[3], "<healthcheck>", "exec")


def test_worker_and_beat_run_celery(services: dict[str, Any]) -> None:
    assert command_of(services["worker"])[:4] == ["celery", "-A", "devotracker", "worker"]
    assert command_of(services["beat"])[:4] == ["celery", "-A", "devotracker", "beat"]


def test_beat_is_never_scaled(services: dict[str, Any]) -> None:
    beat = services["beat"]
    assert int((beat.get("deploy") or {}).get("replicas", 1)) == 1
    assert int(beat.get("scale", 1)) == 1


def test_migrate_is_a_one_shot_job_after_postgres(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    command = command_of(migrate)
    assert command[:3] == ["python", "manage.py", "migrate"]
    assert str(migrate["restart"]) == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", LONG_RUNNING_APP_SERVICES)
def test_application_waits_for_healthy_services_and_migrations(services: dict[str, Any], name: str) -> None:
    depends_on = services[name]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_every_service_has_a_healthcheck_or_is_a_job(services: dict[str, Any]) -> None:
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"


def test_worker_and_web_share_the_media_volume(services: dict[str, Any]) -> None:
    """Report PDFs are written by the worker and served by web."""
    assert set(services["web"]["volumes"]) & set(services["worker"]["volumes"])


# --- Dockerfile ---------------------------------------------------------------------------------


def _stages(dockerfile: str) -> list[str]:
    return re.split(r"(?m)^FROM ", dockerfile)[1:]


def _instructions(stage: str) -> list[str]:
    """The stage's instructions, continuation lines joined, comments dropped."""
    lines = [line for line in stage.splitlines() if not line.lstrip().startswith("#")]
    return [part.strip() for part in re.sub(r"\\\n", " ", "\n".join(lines)).splitlines() if part.strip()]


def test_dockerfile_builds_assets_with_node_and_runs_on_python_311_slim(dockerfile: str) -> None:
    stages = _stages(dockerfile)
    assert len(stages) >= 2
    assert stages[0].startswith("node:")
    assert "npm ci" in stages[0] and "npm run build" in stages[0]
    assert stages[-1].startswith("python:3.11-slim")
    assert "COPY --from=" in stages[-1]


def test_dockerfile_installs_the_pinned_requirements(dockerfile: str) -> None:
    final = _stages(dockerfile)[-1]
    assert re.search(r"(?m)^COPY requirements\.txt", final)
    assert re.search(r"pip install[^\n]*-r requirements\.txt", final)


def test_dockerfile_collects_static_files_with_production_settings(dockerfile: str) -> None:
    step = next(i for i in _instructions(_stages(dockerfile)[-1]) if "collectstatic" in i)
    assert step.startswith("RUN ")
    assert "PRODUCTION=true" in step
    secret = re.search(r"SECRET_KEY=(\S+)", step)
    assert secret and len(secret.group(1)) >= 50, "a dummy key long enough for the production checks"


def test_dockerfile_runs_as_a_non_root_user(dockerfile: str) -> None:
    final = _stages(dockerfile)[-1]
    users = re.findall(r"(?m)^USER\s+(\S+)", final)
    assert users and users[-1] not in {"root", "0", "0:0"}
    assert final.rindex("USER") < final.rindex("CMD")


def test_dockerfile_cmd_is_gunicorn(dockerfile: str) -> None:
    cmd = re.findall(r"(?m)^CMD\s+(.+)$", dockerfile)[-1]
    assert "gunicorn" in cmd and "devotracker.wsgi:application" in cmd


# --- .dockerignore ------------------------------------------------------------------------------


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    patterns = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", "node_modules", "var", ".env", "*.sqlite3", "static/build", "staticfiles"} <= patterns
    needed = {"requirements.txt", "package.json", "package-lock.json", "manage.py", "scss", "static", "templates"}
    assert not needed & patterns, "the image needs these"
