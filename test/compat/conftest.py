"""Starts Cairn for the compatibility suite and points the official mlflow client at it.

The session fixture ``cairn`` is parametrised over the two ways Cairn runs:

* ``embedded``: ``node bin/cairn.js server`` alone (PGlite + filesystem in a temp dir);
* ``distributed``: the five services as separate processes talking gRPC, on a fresh
  PostgreSQL database created on the local stack's server (deploy/local/stack.env)
  and dropped at the end.

pytest orders the tests so that each mode is started once. ``CAIRN_COMPAT_MODES``
(comma-separated) restricts the modes, e.g. ``CAIRN_COMPAT_MODES=embedded``. The opt-in mode
``mlflow`` runs the suite against MLflow's own server (sqlite backend, proxied artifacts) to
check the expectations themselves; Cairn-only checks (ENDPOINT_NOT_FOUND JSON for unknown
routes, X-Request-Id) are expected to fail there.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# The client must not stall a test for minutes on a wrong 5xx (it retries 5xx 7 times with
# backoff by default), nor phone home. Set before mlflow is imported anywhere.
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "0"
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)
os.environ.pop("MLFLOW_RUN_ID", None)

import mlflow  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402
from helpers import Api  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
MODES = ["embedded", "distributed"]
# Opt-in only: MLflow's own server (sqlite), to check that the suite asserts what MLflow does.
REFERENCE_MODE = "mlflow"
GRPC_SERVICES = ["tracking", "artifacts", "registry", "serving"]
START_TIMEOUT_S = float(os.environ.get("CAIRN_COMPAT_START_TIMEOUT", "90"))
STOP_TIMEOUT_S = 30.0


def _selected_modes() -> list[str]:
    raw = os.environ.get("CAIRN_COMPAT_MODES", "").strip()
    if not raw:
        return MODES
    modes = [m.strip() for m in raw.split(",") if m.strip()]
    unknown = [m for m in modes if m not in [*MODES, REFERENCE_MODE]]
    if unknown:
        raise pytest.UsageError(f"CAIRN_COMPAT_MODES: unknown mode(s) {unknown}; known: {[*MODES, REFERENCE_MODE]}")
    return modes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_env() -> dict[str, str]:
    """deploy/local/stack.env, each value overridable by the environment (as @cairn/testing does)."""
    env: dict[str, str] = {}
    for line in (REPO_ROOT / "deploy/local/stack.env").read_text().splitlines():
        m = re.match(r"^\s*([A-Z0-9_]+)=(.*)$", line)
        if m:
            env[m.group(1)] = os.environ.get(m.group(1), m.group(2).strip())
    return env


def _base_env() -> dict[str, str]:
    """The test's environment without any CAIRN_* setting (each mode sets its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env["CAIRN_LOG_LEVEL"] = os.environ.get("CAIRN_COMPAT_LOG_LEVEL", "warn")
    return env


class Proc:
    """A child process whose output goes to a file (no pipe to fill), stoppable by its own pid."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.exit_code: int | None = None

    def running(self) -> bool:
        return self.popen.poll() is None

    def output(self, tail: int = 80) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-tail:])

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Sends the signal; returns the exit code (None if it had to be killed)."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
                self._log.close()
                return None
        self._log.close()
        self.exit_code = self.popen.returncode
        return self.exit_code


@dataclass
class Cairn:
    mode: str
    url: str
    procs: list[Proc] = field(default_factory=list)
    startup_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def outputs(self) -> str:
        return "\n".join(f"----- {p.name} (exit {p.popen.poll()}) -----\n{p.output()}" for p in self.procs)


def _wait_ready(cairn: Cairn) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        dead = [p for p in cairn.procs if not p.running()]
        if dead:
            raise RuntimeError(f"{', '.join(p.name for p in dead)} exited during start-up")
        try:
            health = requests.get(f"{cairn.url}/health", timeout=2)
            if health.status_code == 200:
                got = requests.get(f"{cairn.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}, timeout=5)
                if got.status_code == 200:
                    return
                last = f"experiments/get -> {got.status_code} {got.text[:200]}"
            else:
                last = f"/health -> {health.status_code}"
        except requests.RequestException as err:
            last = f"{type(err).__name__}"
        time.sleep(0.2)
    raise RuntimeError(f"not ready after {START_TIMEOUT_S:.0f} s ({last})")


def _create_database() -> tuple[str, str]:
    """A fresh database on the stack's PostgreSQL: returns (name, url)."""
    import psycopg2

    base = stack_env()["CAIRN_DATABASE_URL"]
    name = f"cairn_compat_{secrets.token_hex(5)}"
    conn = psycopg2.connect(base)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
    finally:
        conn.close()
    parts = urlsplit(base)
    return name, urlunsplit(parts._replace(path=f"/{name}"))


def _drop_database(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(stack_env()["CAIRN_DATABASE_URL"])
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        conn.close()


def _start_embedded(log_dir: Path) -> Cairn:
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="cairn-compat-data-"))
    proc = Proc(
        "cairn-server",
        ["node", str(REPO_ROOT / "bin/cairn.js"), "server", "--port", str(port), "--data-dir", str(data_dir)],
        _base_env(),
        log_dir,
    )
    return Cairn("embedded", f"http://127.0.0.1:{port}", [proc], extra={"data_dir": data_dir})


def _start_distributed(log_dir: Path) -> Cairn:
    main = lambda svc: str(REPO_ROOT / "dist/services" / svc / "src/main.js")  # noqa: E731
    db_name, db_url = _create_database()
    http_port = free_port()
    grpc_ports = {svc: free_port() for svc in GRPC_SERVICES}
    env = {
        **_base_env(),
        **stack_env(),
        "CAIRN_MODE": "distributed",
        "CAIRN_DATABASE_URL": db_url,
        "CAIRN_PORT": str(http_port),
        "CAIRN_OUTBOX_POLL_MS": "50",
        # The compatibility suite runs without authentication; test_auth.py starts its own server with it on.
        "CAIRN_AUTH": "off",
        **{f"CAIRN_{svc.upper()}_GRPC_URL": f"127.0.0.1:{port}" for svc, port in grpc_ports.items()},
    }
    env["CAIRN_LOG_LEVEL"] = os.environ.get("CAIRN_COMPAT_LOG_LEVEL", "warn")
    cairn = Cairn("distributed", f"http://127.0.0.1:{http_port}", extra={"db_name": db_name})
    try:
        for svc in GRPC_SERVICES:
            cairn.procs.append(
                Proc(svc, ["node", main(svc)], {**env, "CAIRN_GRPC_LISTEN": f"127.0.0.1:{grpc_ports[svc]}"}, log_dir)
            )
        cairn.procs.append(Proc("gateway", ["node", main("gateway")], env, log_dir))
    except Exception:
        for p in cairn.procs:
            p.stop(signal.SIGKILL)
        _drop_database(db_name)
        raise
    return cairn


def _start_mlflow_reference(log_dir: Path) -> Cairn:
    import sys

    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="cairn-compat-mlflow-"))
    args = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{data_dir}/mlflow.db",
        "--artifacts-destination", str(data_dir / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]
    proc = Proc("mlflow-server", args, _base_env(), log_dir)
    return Cairn(REFERENCE_MODE, f"http://127.0.0.1:{port}", [proc], extra={"data_dir": data_dir})


def _stop(cairn: Cairn) -> dict[str, int | None]:
    # Gateway first (it holds the clients), then the rest, each by its own pid.
    codes: dict[str, int | None] = {}
    for p in sorted(cairn.procs, key=lambda p: p.name != "gateway"):
        codes[p.name] = p.stop(signal.SIGTERM)
    return codes


@pytest.fixture(scope="session", params=_selected_modes())
def cairn(request: pytest.FixtureRequest):
    mode: str = request.param
    if mode != REFERENCE_MODE and not (REPO_ROOT / "dist/services/gateway/src/main.js").exists():
        pytest.fail("dist/ is missing: run `npm run build` first", pytrace=False)
    log_dir = Path(tempfile.mkdtemp(prefix=f"cairn-compat-{mode}-logs-"))
    started = time.monotonic()
    try:
        starter = {"embedded": _start_embedded, "distributed": _start_distributed, REFERENCE_MODE: _start_mlflow_reference}
        server = starter[mode](log_dir)
    except Exception as err:
        shutil.rmtree(log_dir, ignore_errors=True)
        hint = " (is the local stack up? bash deploy/local/stack.sh up)" if mode == "distributed" else ""
        failure = f"could not start Cairn ({mode}): {err!r}{hint}"
    else:
        failure = None
        try:
            _wait_ready(server)
        except Exception as err:
            failure = f"Cairn ({mode}) did not start: {err}\n{server.outputs()}"
            _stop(server)
            _cleanup(server, log_dir)
    if failure:
        pytest.fail(failure, pytrace=False)
    server.startup_s = time.monotonic() - started
    print(f"\n[compat] Cairn {mode} ready at {server.url} in {server.startup_s:.1f} s")

    yield server

    codes = _stop(server)
    output = server.outputs()
    _cleanup(server, log_dir)
    bad = {name: code for name, code in codes.items() if code != 0}
    if bad:
        pytest.fail(f"Cairn ({mode}) did not shut down cleanly on SIGTERM: exit codes {bad}\n{output}", pytrace=False)


def _cleanup(server: Cairn, log_dir: Path) -> None:
    if "db_name" in server.extra:
        try:
            _drop_database(server.extra["db_name"])
        except Exception as err:  # never hide the test outcome behind a cleanup error
            print(f"[compat] could not drop database {server.extra['db_name']}: {err}")
    if "data_dir" in server.extra:
        shutil.rmtree(server.extra["data_dir"], ignore_errors=True)
    shutil.rmtree(log_dir, ignore_errors=True)


def _reset_fluent_state() -> None:
    """Forget any active run/experiment the mlflow fluent API keeps between tests."""
    from mlflow.tracking import fluent

    try:
        fluent._active_run_stack.set([])
        fluent._last_active_run_id.set(None)
        fluent._last_logged_model_id.set(None)
    except AttributeError:  # older layouts
        pass
    fluent._active_experiment_id = None
    for var in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
        os.environ.pop(var, None)


@pytest.fixture(autouse=True)
def _mlflow_points_at_cairn(cairn: Cairn, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", cairn.url)
    mlflow.set_tracking_uri(cairn.url)
    _reset_fluent_state()
    yield
    # End what the test left open; the server may not accept it (e.g. 501), so ignore errors.
    try:
        while mlflow.active_run() is not None:
            mlflow.end_run()
    except Exception:
        pass
    _reset_fluent_state()
    try:
        mlflow.autolog(disable=True)
    except Exception:
        pass
    # A process that died during this test: say so once, with its output (later tests just fail).
    dead = [p for p in cairn.procs if not p.running()]
    if dead and not cairn.extra.get("reported_dead"):
        cairn.extra["reported_dead"] = True
        pytest.fail(f"Cairn ({cairn.mode}) process(es) died during this test:\n{cairn.outputs()}", pytrace=False)


@pytest.fixture
def tracking_uri(cairn: Cairn) -> str:
    return cairn.url


@pytest.fixture
def client(cairn: Cairn) -> MlflowClient:
    return MlflowClient(tracking_uri=cairn.url)


@pytest.fixture
def uniq():
    """uniq('exp') -> 'exp-<12 hex>', unique across tests, modes and reruns."""
    return lambda prefix="compat": f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def experiment_id(client: MlflowClient, uniq) -> str:
    """A fresh experiment per test, so searches see only that test's runs."""
    return client.create_experiment(uniq("compat-exp"))


@pytest.fixture
def api(cairn: Cairn) -> Api:
    return Api(cairn.url)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"cairn compat: mlflow {mlflow.__version__}, modes {_selected_modes()}, repo {REPO_ROOT}"]
