"""Packaging: every import is declared, requirements.txt and .python-version agree with pyproject.toml."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from bench.common import hello
from tests.process import ROOT, serve

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PYPROJECT["dependencies"]]
DEV = [Requirement(r) for r in PYPROJECT["optional-dependencies"]["dev"]]
FIRST_PARTY = {"bot", "handlers", "rules", "storage", "bench", "tests"}


def imported_modules(folder: str) -> set[str]:
    """Top-level names of every module imported anywhere under a folder (inside functions too)."""
    names: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - FIRST_PARTY


def undeclared(folders: tuple[str, ...], declared: list[Requirement]) -> set[str]:
    """Imported third-party modules whose distribution is not declared directly."""
    names = {canonicalize_name(r.name) for r in declared}
    dists = packages_distributions()
    missing = set()
    for folder in folders:
        for module in imported_modules(folder):
            owners = {canonicalize_name(d) for d in dists.get(module, [module])}
            if not owners & names:
                missing.add(f"{folder}: {module} (from {', '.join(sorted(owners))})")
    return missing


def test_the_apps_imports_are_runtime_dependencies() -> None:
    assert undeclared(("bot", "handlers", "rules", "storage"), RUNTIME) == set()


def test_the_benchmarks_imports_are_declared() -> None:
    assert undeclared(("bench",), RUNTIME + DEV) == set()


def test_requirements_txt_is_pyprojects_runtime_dependencies_plus_the_project() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[-1] == ".", "the last line installs seminar-bot itself (the Procfile runs its command)"
    assert sorted(str(Requirement(line)) for line in lines[:-1]) == sorted(str(r) for r in RUNTIME)


def test_the_default_install_brings_uvicorns_production_extras() -> None:
    uvicorn = next(r for r in RUNTIME if r.name == "uvicorn")
    assert "standard" in uvicorn.extras


def test_python_version_file_fits_requires_python_and_the_dockerfile() -> None:
    version = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"3\.\d+", version)
    assert SpecifierSet(PYPROJECT["requires-python"]).contains(version + ".0")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(rf"^FROM python:{re.escape(version)}-slim", dockerfile, re.MULTILINE)


def test_serve_runs_on_uvloop_and_httptools(tmp_path: Path) -> None:
    """The real `seminar-bot serve` says, at start-up, which loop and HTTP parser it runs on."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "COURSE_FILE": str(ROOT / "course.toml")}
    with serve(env, tmp_path) as server:
        log = server.log.read_text()
        loaded = server.stack()
    assert "serving on uvicorn with the uvloop event loop and the httptools HTTP parser" in log
    assert "uvloop or httptools is missing" not in log
    assert loaded == "uvloop+httptools"


def make_chromium(tmp_path: Path, uid: int, apt: bool) -> tuple[subprocess.CompletedProcess[str], str]:
    """`make` of the Chromium prerequisite `make test` has, on a machine with these tools (faked)."""
    tools = tmp_path / "bin"
    tools.mkdir(parents=True)
    log = tmp_path / "log"
    log.touch()
    scripts = {
        "id": f"echo {uid}",
        "sudo": f'echo "sudo $*" >> {log}; [ "$1" = -n ] && shift; "$@"',
        **({"apt-get": f'echo "apt-get $*" >> {log}'} if apt else {}),
    }
    for name, body in scripts.items():
        (tools / name).write_text(f"#!/bin/sh\n{body}\n")
        (tools / name).chmod(0o755)
    for name in ("sh", "cat", "cksum", "cut"):
        (tools / name).symlink_to(shutil.which(name) or name)
    target = str(tmp_path / "chromium")
    done = subprocess.run(
        [shutil.which("make") or "make", "-s", target, f"CHROMIUM={target}"],
        cwd=ROOT,
        env={"PATH": str(tools)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, log.read_text()


def test_make_test_installs_chromium_as_root_through_sudo_or_says_how(tmp_path: Path) -> None:
    """The browser test's Chromium: a fresh Debian installs it as root or with sudo; a machine without
    apt-get (macOS) still runs `make test`, told what to install."""
    done, log = make_chromium(tmp_path / "root", 0, apt=True)
    assert done.returncode == 0, done.stderr
    assert log.splitlines() == ["apt-get update -qq", "apt-get install -y -qq chromium"]
    done, log = make_chromium(tmp_path / "user", 1000, apt=True)
    assert done.returncode == 0, done.stderr
    assert log.splitlines()[0].startswith("sudo -n sh -c apt-get update")
    assert log.splitlines()[1:] == ["apt-get update -qq", "apt-get install -y -qq chromium"]
    done, log = make_chromium(tmp_path / "mac", 1000, apt=False)
    assert done.returncode == 0, done.stderr
    assert log == "" and "install Chromium at" in done.stdout


def test_the_benches_ceiling_runs_on_the_same_stack(tmp_path: Path) -> None:
    """bench/hello_app.py, the hello-world the benches divide by, goes through `serve`'s uvicorn call."""
    with hello(tmp_path, "INFO").start(ready_path="/") as server:
        loaded = server.stack()
    log = server.log.read_text()
    assert loaded == "uvloop+httptools"
    assert "serving on uvicorn with the uvloop event loop and the httptools HTTP parser" in log
