"""Smoke run of the README's quick start: run it, use it as every demo account, stop it (issue 11).

What it does, in order (one test, so the steps always run in this order and every finding is
reported together at the end):

1. **A clean copy of the checkout** in a temporary folder: every file ``git ls-files --cached
   --others --exclude-standard`` names (tracked files as they are in the working tree, so
   uncommitted changes are tested, plus new files not yet added; nothing git-ignored, so no
   ``var/``, no SQLite file, no built CSS; without git, the tree less what .gitignore names). The
   copy gets its own ``var/``.
2. **No reinstall.** ``scripts/run.sh`` skips installing when what it would install is there
   (scripts/lib.sh): ``ensure_venv`` when ``.venv/bin/python`` is Python 3.11 and the stamp in
   ``.venv/.devotracker/`` matches the requirements files' hash; ``ensure_frontend`` skips
   ``npm ci`` when ``node_modules/.devotracker-npm-ci.sha256`` matches package.json, the lock file
   and ``node --version``, then always runs ``npm run build`` (seconds; it writes the copy's
   ``static/build/``). So the copy's ``.venv`` is a **symlink** to the checkout's (550 MB, only
   read: the test first checks that the stamps match, so that a mismatch can never make the copy
   install into the checkout's environment) and ``node_modules`` is a **copy** of the checkout's
   (18 MB: cheap, and whatever the copy's run does there stays in the copy). The run command
   itself is unchanged. The README's test command installs both before pytest runs, so a fresh
   clone has them.
3. ``bash scripts/run.sh`` in the copy on a free ``PORT``, with ``DEMO_PASSWORD`` set and every
   variable that would move it off its quick-start defaults removed (``DATABASE_URL``, the Celery
   and cache URLs, ``VAR_DIR``, …): SQLite under the copy's ``var/`` and the filesystem broker.
   It must print ``DevoTracker is ready at http://127.0.0.1:PORT/`` within ``READY_TIMEOUT``.
4. **Every page, as every account that can sign in to the web** (the README's table but
   ``partner``, which is API-only): sign in through the real form (CSRF token and all), then
   breadth-first over every same-origin link from the home page (``/admin/`` too for ``admin``),
   bounded: ``PAGES_PER_ACCOUNT`` in all; at most ``PER_SHAPE`` URLs of one shape (the same path
   with numbers and references taken out, and the same query keys), ``QUERIES_PER_PATH`` query
   strings (filters, sorts, pages, CSV tables) for one path shape, and ``ADMIN_PAGES`` under /admin/.
   Sign-out is a POST form, so no link signs out; CSV and PDF links are fetched, not parsed.
   Finding: any 5xx.
5. **The API with a key** from ``manage.py create_api_token partner`` (run in the copy, against its
   SQLite): every collection of ``GET /api/v1/`` and the first item of each; each list with every
   query parameter of its operation in the OpenAPI schema (each enum value, ordering values both
   ways, an id, slug, code, date or time taken from the data for the others); then bad values
   (``page=999999``, ``page_size=abc``, ``ordering=nonsense``, an id of 2**63, bad dates and
   cursors, a wrong key, an unknown path, a method not allowed). Findings: any 5xx, and any 4xx or
   5xx that is not ``application/json`` with exactly the keys ``detail``, ``code`` and ``errors``
   (docs/api.md §7).
6. **Stop** with SIGINT to the run command's process group, as Ctrl-C would: it must exit 0 within
   ``STOP_TIMEOUT``, leave no process running in the copy and free the port; the copy is removed.

Run it alone with ``bash scripts/test.sh tests/smoke`` (or ``.venv/bin/python -m pytest tests/smoke``
where the checkout's ``.venv`` and ``node_modules`` are installed). About two to three minutes on
two otherwise idle cores, half of it the quick start loading its data into SQLite.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.cookiejar
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from ..processes import free_port, interruptible_children, port_is_free

pytestmark = [pytest.mark.smoke, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_PASSWORD = "smoke-run-demo-password"
# The README's demo accounts that can sign in to the web (``partner`` is API-only).
WEB_ACCOUNTS = ("officer", "lc.officer", "camden.officer", "gla.officer", "secretariat", "leb.secretariat", "viewer", "admin")
READY_TIMEOUT = 360  # seconds; the first run migrates, loads the MoU and demo data into SQLite, builds papers
STOP_TIMEOUT = 60  # run.sh gives its processes 25 s before it kills them
REQUEST_TIMEOUT = 60
PAGES_PER_ACCOUNT = 150
PER_SHAPE = 2
QUERIES_PER_PATH = 6
ADMIN_PAGES = 60
# Variables that would move the quick start away from its own defaults (SQLite under var/, the
# filesystem broker, the in-process cache, the development secret key), or make the copy import
# the checkout's code instead of its own.
NOT_FOR_THE_QUICK_START = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "REDIS_URL",
    "CACHE_URL",
    "VAR_DIR",
    "MEDIA_ROOT",
    "SITE_URL",
    "PORT",
    "DEMO_PASSWORD",
    "DEMO_PASSWORD_FILE",
    "PRODUCTION",
    "DEBUG",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "EMAIL_BACKEND",
    "API_RATE_LIMIT",
    "API_WRITE_RATE_LIMIT",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "PYTHONPATH",
    "VIRTUAL_ENV",
)
NOT_FOR_THE_QUICK_START_PREFIXES = ("CELERY_",)
ERROR_KEYS = {"detail", "code", "errors"}


# --- the copy -------------------------------------------------------------------------------------


def _sha(*paths: Path) -> str:
    """scripts/lib.sh's ``_sha``: the SHA-256 of the files' concatenated contents."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def why_the_copy_would_install() -> str | None:
    """Why ``ensure_venv requirements.txt`` would install into ``.venv``, or None when it would not."""
    venv = ROOT / ".venv"
    if not (venv / "bin" / "python").exists():
        return f"{venv} does not exist"
    stamps = venv / ".devotracker"
    runtime = _sha(ROOT / "requirements.txt", ROOT / "requirements.txt")
    dev = _sha(ROOT / "requirements.txt", ROOT / "requirements-dev.txt")
    for name, want in (("requirements.txt", runtime), ("requirements-dev.txt", dev)):
        stamp = stamps / f"{name}.sha256"
        if stamp.exists() and stamp.read_text().strip() == want:
            return None
    return f"{stamps} has no stamp matching requirements.txt / requirements-dev.txt"


# What .gitignore leaves out, for a checkout that git cannot list (no git, or not a repository).
NOT_COPIED = (
    ".git",
    ".venv",
    "node_modules",
    "var",
    "staticfiles",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".schemathesis",
)
NOT_COPIED_FILES = ("*.pyc", "*.sqlite3", "*.sqlite3-*", ".secret_key")


def checkout_files() -> list[str] | None:
    """The checkout's files as a fresh clone plus the working tree's changes would have them, or
    None when git cannot say. safe.directory: the checkout may belong to another user than root."""
    try:
        result = subprocess.run(
            ["git", "-c", f"safe.directory={ROOT}", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in result.stdout.decode().split("\0") if name]


def make_copy(dest: Path) -> None:
    names = checkout_files()
    if names is None:
        shutil.copytree(ROOT, dest, symlinks=True, ignore=shutil.ignore_patterns(*NOT_COPIED, *NOT_COPIED_FILES))
        shutil.rmtree(dest / "static" / "build", ignore_errors=True)
        shutil.rmtree(dest / "bench" / "results", ignore_errors=True)
    for name in names or []:
        source = ROOT / name
        if not source.exists() and not source.is_symlink():  # deleted in the working tree
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    (dest / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    if (ROOT / "node_modules").is_dir():
        shutil.copytree(ROOT / "node_modules", dest / "node_modules", symlinks=True)


def quick_start_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_FOR_THE_QUICK_START and not k.startswith(NOT_FOR_THE_QUICK_START_PREFIXES)}
    env.update({"PORT": str(port), "DEMO_PASSWORD": DEMO_PASSWORD})
    return env


def processes_in(folder: Path) -> list[int]:
    """Our processes whose working directory is ``folder`` (web, worker, beat and their children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if cwd == folder or folder in cwd.parents:
            found.append(int(entry.name))
    return found


class QuickStart:
    """``bash scripts/run.sh`` in the copy, in its own process group (as a terminal would run it)."""

    def __init__(self, copy: Path, port: int) -> None:
        self.copy = copy
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.env = quick_start_env(port)
        self.out_path = copy.parent / "run.stdout"
        self.err_path = copy.parent / "run.stderr"
        with self.out_path.open("w") as out, self.err_path.open("w") as err, interruptible_children():
            self.process = subprocess.Popen(
                ["bash", "scripts/run.sh"], cwd=copy, env=self.env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
            )

    def diagnostics(self) -> str:
        parts = [f"--- run.sh stdout\n{self.out_path.read_text()[-4000:]}", f"--- run.sh stderr\n{self.err_path.read_text()[-8000:]}"]
        parts += [
            f"--- {p.name} (last 4000 characters)\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted((self.copy / "var" / "log").glob("*.log"))
        ]
        return "\n".join(parts)

    def wait_ready(self) -> None:
        expected = f"DevoTracker is ready at {self.base}/"
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if expected in self.out_path.read_text().splitlines():
                return
            if self.process.poll() is not None:
                pytest.fail(f"run.sh exited with {self.process.returncode} before it was ready\n{self.diagnostics()}")
            time.sleep(0.5)
        pytest.fail(f"run.sh did not print {expected!r} within {READY_TIMEOUT} s\n{self.diagnostics()}")

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.copy / ".venv" / "bin" / "python"), "manage.py", *args],
            cwd=self.copy,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
        return result.stdout

    def stop(self) -> list[str]:
        """Ctrl-C: SIGINT to the process group. Returns what went wrong (nothing, normally)."""
        problems = []
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            status = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return [f"run.sh did not exit within {STOP_TIMEOUT} s of SIGINT"]
        if status != 0:
            problems.append(f"run.sh exited with {status} after SIGINT, not 0")
        deadline = time.monotonic() + 15
        while (processes_in(self.copy) or not port_is_free(self.port)) and time.monotonic() < deadline:
            time.sleep(0.2)
        if left := processes_in(self.copy):
            problems.append(f"processes left running in the copy: {left}")
        if not port_is_free(self.port):
            problems.append(f"port {self.port} still in use after the stop")
        return problems

    def kill_everything(self) -> None:
        """Last resort after a failure: nothing of ours may outlive the test."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for pid in processes_in(self.copy):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# --- HTTP -----------------------------------------------------------------------------------------


@dataclass
class Answer:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """A cookie-keeping HTTP client that reports redirects instead of following them."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.headers = headers or {}
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def request(self, method: str, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Answer:
        url = urllib.parse.urljoin(self.base, path)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method=method, headers={**self.headers, **(headers or {})})
        try:
            with self.opener.open(req, timeout=REQUEST_TIMEOUT) as response:
                return Answer(url, response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as error:
            return Answer(url, error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.cookies if c.name == name), "")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        elif tag == "input" and values.get("name"):
            self.inputs[values["name"] or ""] = values.get("value") or ""


def parse(html: bytes) -> _Links:
    parser = _Links()
    parser.feed(html.decode("utf-8", errors="replace"))
    return parser


def sign_in(browser: Browser, username: str, password: str) -> Answer:
    form = parse(browser.get("/accounts/login/").body)
    token = form.inputs.get("csrfmiddlewaretoken", "")
    return browser.request(
        "POST",
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": ""},
        headers={"Referer": f"{browser.base}/accounts/login/"},
    )


# --- the crawl ------------------------------------------------------------------------------------

# Never followed: they sign out (POST-only today, kept here should a link appear) or leave the site.
SKIP_PREFIXES = ("/accounts/logout/", "/admin/logout/", "/static/", "/media/")


def shape(path_and_query: str) -> str:
    """URLs of one shape show the same page for other data: the same path with numbers, and the
    last segment of a deeper path (a reference, slug or code), taken out, and the same query keys.
    Under /admin/ only numbers are taken out (its last segments are the models)."""
    parts = urllib.parse.urlsplit(path_and_query)
    segments = ["*" if any(ch.isdigit() for ch in seg) else seg for seg in parts.path.strip("/").split("/")]
    if len(segments) >= 2 and segments[0] != "admin":
        segments[-1] = "*"
    keys = sorted({k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)})
    return "/".join(segments) + "?" + "&".join(keys)


def same_origin_path(base: str, current: str, href: str) -> str | None:
    absolute = urllib.parse.urljoin(current, href.strip())
    parts = urllib.parse.urlsplit(absolute)
    origin = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or parts.netloc != origin.netloc:
        return None
    path = parts.path or "/"
    if path.startswith(SKIP_PREFIXES):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


@dataclass
class CrawlResult:
    account: str
    pages: int = 0
    failures: list[str] = field(default_factory=list)
    timings: list[tuple[float, str]] = field(default_factory=list)


def crawl(base: str, account: str) -> CrawlResult:
    result = CrawlResult(account)
    browser = Browser(base)
    signed_in = sign_in(browser, account, DEMO_PASSWORD)
    if signed_in.status != 302 or not browser.cookie("sessionid"):
        result.failures.append(f"[{account}] sign-in through /accounts/login/ answered {signed_in.status} without a session")
        return result
    seeds = ["/", "/admin/"] if account == "admin" else ["/"]
    queue: deque[tuple[str, str]] = deque((seed, "(start)") for seed in seeds)
    seen: set[str] = set(seeds)
    per_shape: dict[str, int] = {}
    queries_per_path: dict[str, int] = {}
    admin_pages = 0
    while queue and result.pages < PAGES_PER_ACCOUNT:
        path, referrer = queue.popleft()
        asked = time.monotonic()
        answer = browser.get(path)
        result.timings.append((time.monotonic() - asked, path))
        result.pages += 1
        if answer.status >= 500:
            result.failures.append(f"[{account}] GET {path} -> {answer.status} (linked from {referrer})")
            continue
        found: list[str] = []
        if answer.status in (301, 302, 303, 307, 308) and answer.headers.get("location"):
            found = [answer.headers["location"]]
        elif answer.status == 200 and answer.content_type.startswith("text/html"):
            found = parse(answer.body).links
        for href in found:
            if href.startswith("#"):
                continue
            target = same_origin_path(base, answer.url, href.split("#", 1)[0])
            if target is None or target in seen:
                continue
            seen.add(target)
            key = shape(target)
            path_key = key.split("?", 1)[0]
            if per_shape.get(key, 0) >= PER_SHAPE or ("?" in target and queries_per_path.get(path_key, 0) >= QUERIES_PER_PATH):
                continue
            if "?" in target:
                queries_per_path[path_key] = queries_per_path.get(path_key, 0) + 1
            if target.startswith("/admin/"):
                if admin_pages >= ADMIN_PAGES:
                    continue
                admin_pages += 1
            per_shape[key] = per_shape.get(key, 0) + 1
            queue.append((target, path))
    if result.pages < 3:
        result.failures.append(f"[{account}] only {result.pages} pages reachable after sign-in: the crawl found no navigation")
    return result


# --- the API --------------------------------------------------------------------------------------


class ApiRun:
    """Requests to the API with a key, each answer checked; findings are collected, not raised."""

    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.client = Browser(base, headers={"Authorization": f"Token {key}"})
        self.requests = 0
        self.failures: list[str] = []

    def check(self, answer: Answer, method: str = "GET") -> None:
        self.requests += 1
        if answer.status < 400:
            return
        problems = []
        if answer.status >= 500:
            problems.append("a server error")
        if not answer.content_type.startswith("application/json"):
            problems.append("not application/json")
        else:
            try:
                body = json.loads(answer.body)
            except ValueError:
                body = None
            if not isinstance(body, dict) or set(body) != ERROR_KEYS or not isinstance(body.get("errors"), dict):
                problems.append("not the {detail, code, errors} shape")
        if problems:
            where = f"[partner API] {method} {answer.url.removeprefix(self.base)}"
            self.failures.append(
                f"{where} -> {answer.status} ({'; '.join(problems)}): {answer.content_type or 'no Content-Type'} {answer.body[:120]!r}"
            )

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        answer = self.client.get(path, headers)
        self.check(answer)
        return answer

    def get_many(self, paths: Iterable[str]) -> None:
        # Two at a time: the quick start's gunicorn has two workers.
        with ThreadPoolExecutor(max_workers=2) as pool:
            for answer in pool.map(self.client.get, paths):
                self.check(answer)


def json_of(answer: Answer) -> Any:
    # application/json, or the schema's application/vnd.oai.openapi+json
    if answer.status != 200 or "json" not in answer.content_type.split(";")[0]:
        return None
    return json.loads(answer.body)


def key_of(value: Any) -> str | None:
    """The URL key of a nested reference (or of a scalar)."""
    if isinstance(value, dict):
        for name in ("slug", "code", "ref", "id", "username"):
            if value.get(name) not in (None, ""):
                return str(value[name])
        return None
    if isinstance(value, list):
        return next((k for k in map(key_of, value) if k), None)
    if value in (None, "") or isinstance(value, bool):
        return None
    return str(value)


# Query parameters named after another collection take that collection's key.
PARAM_COLLECTION = {
    "agreement": "agreements",
    "theme": "themes",
    "commitment": "commitments",
    "obligation": "obligations",
    "action": "actions",
    "party": "parties",
    "board": "boards",
    "pilot": "pilots",
    "borough": "boroughs",
    "meeting": "meetings",
}
ITEM_KEY = {"commitments": "ref", "boards": "code"}


def plausible_value(name: str, schema: dict[str, Any], items: list[dict[str, Any]], catalogue: dict[str, str]) -> str | None:
    fmt = schema.get("format") or schema.get("items", {}).get("format")
    if fmt == "date":
        return "2026-01-31"
    if fmt == "date-time":
        return "2026-01-31T09:00:00Z"
    for item in items:
        if name in item and (value := key_of(item[name])):
            return value
    if name in PARAM_COLLECTION:
        return catalogue.get(PARAM_COLLECTION[name])
    return {"q": "health", "owner": "officer", "author": "secretariat", "after": catalogue.get("cursor"), "limit": "5"}.get(name)


def list_requests(path: str, operation: dict[str, Any], items: list[dict[str, Any]], catalogue: dict[str, str]) -> Iterator[str]:
    """The list with each documented query parameter: every enum value, or a value from the data."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        name = parameter["name"]
        schema = parameter.get("schema", {})
        enum = schema.get("enum") or schema.get("items", {}).get("enum")
        if name == "ordering" and enum:
            values = list(dict.fromkeys(v for e in enum for v in (e.lstrip("-"), "-" + e.lstrip("-"))))
        elif enum:
            values = [str(v).lower() if isinstance(v, bool) else str(v) for v in enum]
        elif name == "page":
            values = ["2"]
        elif name == "page_size":
            values = ["5", "500"]
        else:
            value = plausible_value(name, schema, items, catalogue)
            values = [value] if value else []
        for value in values:
            yield f"{path}?{urllib.parse.urlencode({name: value})}"


# Bad values for every list, and more of them for the three lists partners use most.
BAD_QUERIES = ("page=999999", "page_size=abc", "ordering=nonsense")
MORE_BAD_QUERIES = (
    "page=0",
    "page=abc",
    "page_size=-1",
    "page_size=99999999999999999999",
    "ordering=-",
    "updated_since=yesterday",
    "updated_since=2026-01-31T09:00:00",
    "due_before=2026-13-45",
    "format=xml",
)
MAIN_LISTS = ("commitments", "obligations", "actions")


def api_smoke(base: str, key: str) -> ApiRun:
    run = ApiRun(base, key)
    root = json_of(run.get("/api/v1/"))
    assert isinstance(root, dict), "GET /api/v1/ did not answer a JSON object"
    schema = json_of(run.get("/api/v1/schema/?format=json"))
    assert isinstance(schema, dict) and schema.get("paths"), "GET /api/v1/schema/?format=json did not answer the OpenAPI schema"
    run.get("/api/v1/docs/", headers={"Accept": "text/html"})
    head = json_of(run.get("/api/v1/changes/head/")) or {}
    catalogue: dict[str, str] = {"cursor": str(head.get("cursor", ""))}

    # Every collection and the first item of each; the keys feed the filters below.
    collections = {name: urllib.parse.urlsplit(url).path for name, url in root.items() if name not in ("schema", "docs")}
    samples: dict[str, list[dict[str, Any]]] = {}
    for name, path in collections.items():
        body = json_of(run.get(path)) or {}
        items = [item for item in body.get("results", []) if isinstance(item, dict)]
        samples[name] = items
        if items and (key := items[0].get(ITEM_KEY.get(name, "slug" if "slug" in items[0] else "id"))) is not None:
            catalogue[name] = str(key)
        if items and items[0].get("url"):
            detail = urllib.parse.urlsplit(items[0]["url"]).path
            run.get(detail)
            if name == "reports":
                run.get(f"{detail}html/")
                run.get(f"{detail}pdf/", headers={"Accept": "application/pdf"})
    # A commitment's reference from the obligations when the commitments list itself failed.
    if "commitments" not in catalogue:
        refs = [key_of(item.get("commitment")) for item in samples.get("obligations", [])]
        if refs and refs[0]:
            catalogue["commitments"] = refs[0]
            run.get(f"/api/v1/commitments/{refs[0]}/")

    # Each list with each documented filter and ordering value.
    paths = schema["paths"]
    wanted: list[str] = []
    for name, path in collections.items():
        operation = paths.get(path, {}).get("get")
        if operation is None:
            run.failures.append(f"[partner API] {path} is listed in /api/v1/ but not in the OpenAPI schema")
            continue
        wanted += list_requests(path, operation, samples.get(name, []), catalogue)
        if name != "changes":
            wanted += [f"{path}?{query}" for query in BAD_QUERIES + (MORE_BAD_QUERIES if name in MAIN_LISTS else ())]
    wanted += [
        "/api/v1/changes/?after=not-a-cursor",
        "/api/v1/changes/?limit=abc",
        "/api/v1/changes/?resource=nonsense",
        "/api/v1/nonexistent/",
        "/api/v1/commitments/NO-SUCH-REF/",
    ]
    wanted += [f"{path}9223372036854775808/" for path in collections.values() if path != "/api/v1/changes/"]
    run.get_many(wanted)

    # A wrong key, and a method the address does not take.
    anonymous = Browser(base, headers={"Authorization": "Token not-a-real-key"})
    run.check(anonymous.get("/api/v1/themes/"))
    run.check(run.client.request("DELETE", "/api/v1/themes/"), "DELETE")
    return run


# --- the test -------------------------------------------------------------------------------------


@pytest.fixture
def copy() -> Iterator[Path]:
    """A clean copy of the checkout in a temporary folder, removed afterwards."""
    if why := why_the_copy_would_install():
        pytest.fail(
            f"the run command in the copy would install into the checkout's .venv ({why}); "
            "run it through the README's test command, which brings .venv up to date first: bash scripts/test.sh tests/smoke"
        )
    folder = Path(tempfile.mkdtemp(prefix="devotracker-smoke-")).resolve()
    try:
        make_copy(folder / "devotracker")
        yield folder / "devotracker"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        assert not folder.exists(), f"{folder} was not removed"


def test_quick_start_smoke_run(copy: Path) -> None:
    started = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - started - sum(phases.values()))

    run = QuickStart(copy, free_port())
    findings: list[str] = []
    try:
        run.wait_ready()
        phase("ready")

        # Two accounts at a time: the quick start's gunicorn has two workers.
        with ThreadPoolExecutor(max_workers=2) as pool:
            crawls = list(pool.map(lambda account: crawl(run.base, account), WEB_ACCOUNTS))
        for result in crawls:
            findings += result.failures
        phase("pages")

        key = run.manage("create_api_token", "partner").strip().splitlines()[-1]
        api = api_smoke(run.base, key)
        findings += api.failures
        phase("api")

        findings += [f"[stop] {problem}" for problem in run.stop()]
        phase("stop")
    except BaseException:
        run.kill_everything()
        raise
    slowest = sorted((t for result in crawls for t in result.timings), reverse=True)[:5]
    summary = "\n".join(
        [
            f"seconds: {phases}",
            f"pages per account: { {result.account: result.pages for result in crawls} }",
            f"slowest pages: {', '.join(f'{path} {seconds:.1f} s' for seconds, path in slowest)}",
            f"API requests: {api.requests}",
        ]
    )
    print(summary)
    if findings:
        run.kill_everything()
    assert not findings, f"{len(findings)} findings\n{summary}\n" + "\n".join(findings) + f"\n{run.diagnostics()}"
