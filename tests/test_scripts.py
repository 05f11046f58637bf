"""The run and test commands (scripts/run.sh, scripts/test.sh, .ci/run), checked from outside.

The quick-start tests run ``bash scripts/run.sh`` for real on a free port with their own VAR_DIR
(SQLite file, filesystem broker, logs) and no DATABASE_URL / CELERY_BROKER_URL, as a newcomer would,
then stop it with a signal and check that nothing is left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .processes import free_port, interruptible_children, port_is_free, run_bounded

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = [ROOT / "scripts" / "run.sh", ROOT / "scripts" / "test.sh", ROOT / "scripts" / "lib.sh", ROOT / ".ci" / "run"]
READY_TIMEOUT = 300
# Variables that would point the quick start away from its own defaults.
NOT_FOR_THE_QUICK_START = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CACHE_URL",
    "REDIS_URL",
    "DEMO_PASSWORD",
    "PORT",
    "PRODUCTION",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
)


def processes_with_env(marker: str) -> list[int]:
    """PIDs of processes whose environment contains ``marker`` (our own processes only)."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_scripts_are_valid_bash(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_ci_runs_exactly_the_readme_test_command() -> None:
    text = (ROOT / ".ci" / "run").read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    commands = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == "bash scripts/test.sh"
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_run_refuses_a_port_that_is_taken() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        started = time.monotonic()
        result = run_bounded(["bash", "scripts/run.sh"], cwd=ROOT, env={**os.environ, "PORT": str(port)}, timeout=30)
    assert result.returncode != 0
    assert time.monotonic() - started < 5, "fails at once, before installing anything"
    assert f"port {port}" in result.stderr and "already in use" in result.stderr
    assert "ready" not in result.stdout


def test_run_refuses_a_port_that_is_not_a_number() -> None:
    result = run_bounded(["bash", "scripts/run.sh"], cwd=ROOT, env={**os.environ, "PORT": "eighty"}, timeout=30)
    assert result.returncode != 0
    assert "PORT" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root to run the script as an unprivileged user")
def test_test_command_without_root_stops_at_once_naming_what_is_missing() -> None:
    as_nobody = ["runuser", "-u", "nobody", "--"]
    if run_bounded([*as_nobody, "test", "-r", str(ROOT / "scripts" / "test.sh")], timeout=30).returncode != 0:
        pytest.skip("the checkout is not readable by the unprivileged user")
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "CHROMIUM": "/nonexistent/chromium"}
    started = time.monotonic()
    result = run_bounded(
        [*as_nobody, "env", "-i", *(f"{k}={v}" for k, v in env.items()), "bash", str(ROOT / "scripts" / "test.sh")], cwd="/tmp", timeout=60
    )
    assert result.returncode != 0
    assert time.monotonic() - started < 30
    assert "missing prerequisites" in result.stderr
    assert "Chromium (/nonexistent/chromium)" in result.stderr
    assert "ALL PASSED" not in result.stdout


# --- the quick start, for real ------------------------------------------------------------------


class QuickStart:
    def __init__(self, var_dir: Path, port: int, extra_env: dict[str, str] | None = None) -> None:
        self.var_dir = var_dir
        self.port = port
        self.out_path = var_dir / "run.stdout"
        self.err_path = var_dir / "run.stderr"
        env = {k: v for k, v in os.environ.items() if k not in NOT_FOR_THE_QUICK_START}
        env.update({"VAR_DIR": str(var_dir), "PORT": str(port), **(extra_env or {})})
        self.marker = f"VAR_DIR={var_dir}"
        with self.out_path.open("w") as out, self.err_path.open("w") as err, interruptible_children():
            self.process = subprocess.Popen(
                ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
            )

    @property
    def stdout(self) -> str:
        return self.out_path.read_text()

    def diagnostics(self) -> str:
        logs = "".join(f"\n--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted((self.var_dir / "log").glob("*.log")))
        return f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.err_path.read_text()[-5000:]}{logs}"

    def wait_ready(self) -> str:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            for line in self.stdout.splitlines():
                if line.startswith("DevoTracker is ready at "):
                    return line
            if self.process.poll() is not None:
                pytest.fail(f"run.sh exited with {self.process.returncode} before it was ready\n{self.diagnostics()}")
            time.sleep(0.5)
        pytest.fail(f"run.sh was not ready within {READY_TIMEOUT} s\n{self.diagnostics()}")

    def health(self) -> tuple[int, dict[str, object]]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{self.port}/health/", timeout=10) as response:
            return response.status, json.loads(response.read())

    def stop(self, sig: int, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def children(self) -> list[int]:
        return [pid for pid in processes_with_env(self.marker) if pid != self.process.pid]

    def kill_everything(self) -> None:
        """Last resort after a failed test: nothing of ours may outlive it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
        for pid in self.children():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One quick-start data folder for the module: the first run loads everything, later ones re-run."""
    return tmp_path_factory.mktemp("quickstart-var")


def demo_users_with_password(var_dir: Path, password: str) -> int:
    code = "from django.contrib.auth import get_user_model; import os; print(sum(u.check_password(os.environ['PW']) for u in get_user_model().objects.all()))"
    env = {k: v for k, v in os.environ.items() if k not in NOT_FOR_THE_QUICK_START}
    env.update({"VAR_DIR": str(var_dir), "PW": password})
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def demo_papers(var_dir: Path) -> list[str]:
    """The quick start's papers as "board kind state" lines, oldest first."""
    code = (
        "from commitments.models import Report\n"
        "for r in Report.objects.select_related('meeting__board').order_by('pk'):\n"
        "    print('paper', r.meeting.board.code, r.kind, r.state)"
    )
    env = {k: v for k, v in os.environ.items() if k not in NOT_FOR_THE_QUICK_START}
    env["VAR_DIR"] = str(var_dir)
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.removeprefix("paper ") for line in result.stdout.splitlines() if line.startswith("paper ")]


@pytest.fixture
def quick_starts() -> Iterator[list[QuickStart]]:
    started: list[QuickStart] = []
    yield started
    for run in started:
        run.kill_everything()


def assert_all_stopped(run: QuickStart) -> None:
    deadline = time.monotonic() + 10
    while (run.children() or not port_is_free(run.port)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run.children() == [], f"processes left behind: {run.children()}"
    assert port_is_free(run.port), f"port {run.port} still in use"


@pytest.mark.slow
def test_quick_start_runs_reports_ready_and_stops_cleanly_twice(var_dir: Path, quick_starts: list[QuickStart]) -> None:
    # First run: fresh SQLite database, generated demo password, stopped with SIGTERM.
    first = QuickStart(var_dir, free_port())
    quick_starts.append(first)
    assert first.wait_ready() == f"DevoTracker is ready at http://127.0.0.1:{first.port}/"
    password_lines = [line for line in first.stdout.splitlines() if line.startswith("Demo password: ")]
    assert len(password_lines) == 1 and len(password_lines[0]) > len("Demo password: ") + 8
    status, body = first.health()
    assert status == 200 and body["database"] == "ok"
    assert body["last_overdue_run"], "the overdue pass ran once before ready"
    assert (var_dir / "devotracker.sqlite3").exists(), "SQLite under VAR_DIR by default"
    assert len(first.children()) >= 4, "gunicorn master + workers, Celery worker, Celery beat"
    assert first.stop(signal.SIGTERM) == 0, first.diagnostics()
    assert_all_stopped(first)
    # The demo viewer has a Leaders' Committee report and a board paper to open (issue 11).
    papers = demo_papers(var_dir)
    assert papers == ["LC leaders_committee ready", "SPB board_paper ready"], papers

    # Second run on the same data: the loads are idempotent; DEMO_PASSWORD given, so not printed.
    second = QuickStart(var_dir, free_port(), {"DEMO_PASSWORD": "a-demo-password-for-tests"})
    quick_starts.append(second)
    second.wait_ready()
    assert "Demo password: " not in second.stdout
    assert second.health()[0] == 200
    assert second.stop(signal.SIGINT) == 0, second.diagnostics()
    assert_all_stopped(second)
    assert demo_papers(var_dir) == papers, "a second run builds no paper again"
    # Officer, secretariat, viewer and administrator at least, all reset to DEMO_PASSWORD (the
    # API-only partner has no password).
    assert demo_users_with_password(var_dir, "a-demo-password-for-tests") >= 5


@pytest.mark.slow
def test_quick_start_stops_everything_when_one_process_dies(var_dir: Path, quick_starts: list[QuickStart]) -> None:
    run = QuickStart(var_dir, free_port())
    quick_starts.append(run)
    run.wait_ready()
    beat = [pid for pid in run.children() if b"beat" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(beat) == 1
    os.kill(beat[0], signal.SIGKILL)
    assert run.process.wait(timeout=60) != 0
    assert "beat exited unexpectedly" in run.err_path.read_text()
    assert_all_stopped(run)
