"""The deployment files: Dockerfile, compose.yaml, the systemd unit and the container's health check."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Live
from tests.process import ROOT, free_port

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
START = (ROOT / "deploy" / "start.sh").read_text(encoding="utf-8")


def instructions(name: str) -> list[str]:
    """The arguments of every Dockerfile instruction with this name (continuation lines joined)."""
    text = DOCKERFILE.replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*)$", text, re.MULTILINE)]


def test_dockerfile_slim_base_non_root_user_healthcheck_and_start() -> None:
    assert re.fullmatch(r"python:3\.\d+-slim", instructions("FROM")[0])
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0")
    assert instructions("RUN")[0] == "pip install -r requirements.txt"  # what Heroku and Render run
    assert "deploy/healthcheck.py" in instructions("HEALTHCHECK")[0]
    assert instructions("CMD") == ['["sh", "deploy/start.sh"]']


def test_start_script_migrates_before_serving() -> None:
    commands = [line for line in START.splitlines() if line.strip() and not line.startswith("#")]
    assert commands.index("seminar-bot db upgrade") < commands.index('exec seminar-bot serve "$@"')


def test_the_image_copies_everything_the_bot_reads() -> None:
    copied = " ".join(instructions("COPY")).split()
    for needed in ("requirements.txt", "pyproject.toml", "README.md", "manifest.yml", "deploy"):
        assert needed in copied, needed


def test_the_image_copies_every_package_pyproject_installs() -> None:
    """`pip install .` in the image finds only the folders copied before it: a missing one installs
    cleanly and fails at the first import."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = [p.rstrip("*") for p in setuptools["packages"]["find"]["include"]]
    before_install = DOCKERFILE[: DOCKERFILE.index("RUN pip install -r requirements.txt")]
    for package in packages:
        assert (ROOT / package / "__init__.py").is_file(), package
        copied = re.search(rf"^COPY {package} \./{package}$", before_install, re.MULTILINE)
        assert copied, f"the Dockerfile copies no {package}/ before installing"


def test_every_file_the_image_writes_is_in_a_folder_its_user_owns() -> None:
    """The image runs as a user who owns only /data: the database and the playground's file go there
    (the playground is on until Slack is configured, and an unwritable file stops `serve`)."""
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(instructions("ENV"))))
    assert env["DATABASE_URL"].startswith("sqlite:////data/")
    assert env["PLAYGROUND_DB"].startswith("/data/")
    assert "chown seminar /data" in " ".join(instructions("RUN"))


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_runs_the_bot_on_postgres_with_a_named_volume_and_env_file() -> None:
    services = compose()["services"]
    db, bot = services["db"], services["bot"]
    assert db["image"].startswith("postgres:")
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert bot["build"] == "."
    assert bot["env_file"] == ".env"
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://seminar:")
    assert "@db:5432/seminar" in bot["environment"]["DATABASE_URL"]
    assert "deploy/healthcheck.py" in bot["healthcheck"]["test"]
    assert bot["ports"] == ["${PORT:-3000}:3000"] and bot["environment"]["PORT"] == "3000"


def test_compose_config_when_the_compose_plugin_is_installed(tmp_path: Path) -> None:
    """`docker compose config` needs no engine; this machine may lack the plugin."""
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        pytest.skip("the docker compose plugin is not installed here")
    (tmp_path / ".env").write_text("PORT=3000\n")
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    done = subprocess.run(
        [docker, "compose", "config", "--quiet"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_systemd_unit_runs_the_start_script_as_a_user() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "seminar-bot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["ExecStart"].endswith("deploy/start.sh")
    assert service["User"] not in ("root", "0")
    assert service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_healthcheck_is_200_from_a_running_bot_and_1_when_nothing_answers(live: Live) -> None:
    script = str(ROOT / "deploy" / "healthcheck.py")
    port = live.url.rsplit(":", 1)[1]
    assert subprocess.run([sys.executable, script], env={"PORT": port}, timeout=30).returncode == 0
    dead = str(free_port())
    assert subprocess.run([sys.executable, script], env={"PORT": dead}, timeout=30).returncode == 1
