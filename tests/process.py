"""Run `seminar-bot serve` (or another server) as a real subprocess, for crash tests and benches."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ISOLATE = ("SLACK_", "ZOOM_", "DATABASE_URL", "COURSE_FILE", "PORT", "LOG_LEVEL", "HTTP_PROXY", "HTTPS_PROXY")
SERVE = Path(sys.executable).parent / "seminar-bot"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without app settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATE)}
    env.update(extra)
    return env


class Server:
    """A server subprocess on a free port, started with a clean environment and a scratch cwd."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int, workdir: Path) -> None:
        self.argv, self.env, self.port, self.workdir = argv, env, port, workdir
        self.url = f"http://127.0.0.1:{port}"
        self.log = workdir / f"server-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, ready_path: str = "/healthz", timeout: float = 60.0) -> Server:
        """Spawn the process and wait until `ready_path` answers 200."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv, env=clean_env(self.env), cwd=self.workdir, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + ready_path, timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.argv} not ready after {timeout}s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time the process and its running children (serve's Zoom writer,
        bot/zoom_writer.py) have used so far, all threads."""
        assert self.proc is not None
        return sum(_cpu_seconds(pid) for pid in (self.proc.pid, *self.children()))

    def children(self) -> list[int]:
        """The process's running children (Linux /proc)."""
        assert self.proc is not None
        tasks = Path(f"/proc/{self.proc.pid}/task").glob("*/children")
        return [int(pid) for task in tasks for pid in task.read_text().split()]

    def stack(self) -> str:
        """The event loop and HTTP parser the running process has loaded, e.g. `uvloop+httptools`."""
        assert self.proc is not None
        maps = Path(f"/proc/{self.proc.pid}/maps").read_text()
        loop = "uvloop" if "/uvloop/" in maps else "asyncio"
        http = "httptools" if "/httptools/" in maps else "h11"
        return f"{loop}+{http}"

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log, for error messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """Terminate gracefully, then kill if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(env: dict[str, str], workdir: Path) -> Server:
    """The real `seminar-bot serve` on a free port (not started yet)."""
    port = free_port()
    env = {**env, "PORT": str(port), "PYTHONPATH": str(ROOT)}  # this checkout's code, whatever is installed
    return Server([str(SERVE), "serve", "--port", str(port)], env, port, workdir)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_due_together(env: dict[str, str], now: str, processes: int = 2) -> list[str]:
    """`seminar-bot jobs run-due --now NOW` in several processes at once; each one's output (each
    must exit 0)."""
    command = [str(SERVE), "jobs", "run-due", "--now", now]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    outputs = [p.communicate(timeout=90) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, (out, err)
    return [out for out, _ in outputs]
