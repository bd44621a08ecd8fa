"""The official mlflow client against Cairn with authentication on (CAIRN_AUTH=on).

A second Cairn is started in the same mode as the session's (embedded or
distributed) with an admin from CAIRN_ADMIN_USERNAME/PASSWORD. The client
authenticates as MLflow users do: MLFLOW_TRACKING_USERNAME/PASSWORD (HTTP
Basic) or MLFLOW_TRACKING_TOKEN (Bearer, a Cairn API token); users and
grants are managed through MLflow's auth-app REST API with the client's own
HTTP plumbing (mlflow.server.auth.client.AuthServiceClient itself needs the
`mlflow[auth]` extra, Flask-WTF, which the compat venv does not install).
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from pathlib import Path

import mlflow
import pytest
import requests
from conftest import (
    GRPC_SERVICES,
    REPO_ROOT,
    START_TIMEOUT_S,
    Cairn,
    Proc,
    _base_env,
    _cleanup,
    _create_database,
    _drop_database,
    _stop,
    free_port,
    stack_env,
)
from mlflow.exceptions import MlflowException
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import http_request_safe
from mlflow.tracking import MlflowClient

ADMIN, ADMIN_PW = "compat-admin", "compat-admin-pw"
AUTH_ENV = {
    "CAIRN_AUTH": "on",
    "CAIRN_ADMIN_USERNAME": ADMIN,
    "CAIRN_ADMIN_PASSWORD": ADMIN_PW,
    "CAIRN_SECRET_KEY": "compat-secret-key-0123456789",
}
CRED_VARS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")


class AuthServiceClient:
    """The calls of MLflow's AuthServiceClient (same endpoints, same credentials from the environment)."""

    def __init__(self, tracking_uri: str):
        self.tracking_uri = tracking_uri

    def _request(self, endpoint: str, method: str, **kwargs) -> dict:
        return http_request_safe(get_default_host_creds(self.tracking_uri), endpoint, method, **kwargs).json()

    def create_user(self, username: str, password: str) -> dict:
        return self._request("/api/2.0/mlflow/users/create", "POST", json={"username": username, "password": password})["user"]

    def get_user(self, username: str) -> dict:
        return self._request("/api/2.0/mlflow/users/get", "GET", params={"username": username})["user"]

    def create_experiment_permission(self, experiment_id: str, username: str, permission: str) -> dict:
        body = {"experiment_id": experiment_id, "username": username, "permission": permission}
        return self._request("/api/2.0/mlflow/experiments/permissions/create", "POST", json=body)["experiment_permission"]


def _start(mode: str, log_dir: Path) -> Cairn:
    if mode == "embedded":
        port = free_port()
        data_dir = Path(tempfile.mkdtemp(prefix="cairn-compat-auth-"))
        args = ["node", str(REPO_ROOT / "bin/cairn.js"), "server", "--port", str(port), "--data-dir", str(data_dir)]
        proc = Proc("cairn-auth-server", args, {**_base_env(), **AUTH_ENV}, log_dir)
        return Cairn("embedded", f"http://127.0.0.1:{port}", [proc], extra={"data_dir": data_dir})
    main = lambda svc: str(REPO_ROOT / "dist/services" / svc / "src/main.js")  # noqa: E731
    db_name, db_url = _create_database()
    http_port = free_port()
    grpc_ports = {svc: free_port() for svc in GRPC_SERVICES}
    env = {
        **_base_env(),
        **stack_env(),
        **AUTH_ENV,
        "CAIRN_MODE": "distributed",
        "CAIRN_DATABASE_URL": db_url,
        "CAIRN_PORT": str(http_port),
        "CAIRN_OUTBOX_POLL_MS": "50",
        **{f"CAIRN_{svc.upper()}_GRPC_URL": f"127.0.0.1:{port}" for svc, port in grpc_ports.items()},
    }
    cairn = Cairn("distributed", f"http://127.0.0.1:{http_port}", extra={"db_name": db_name})
    try:
        for svc in GRPC_SERVICES:
            cairn.procs.append(Proc(svc, ["node", main(svc)], {**env, "CAIRN_GRPC_LISTEN": f"127.0.0.1:{grpc_ports[svc]}"}, log_dir))
        cairn.procs.append(Proc("gateway", ["node", main("gateway")], env, log_dir))
    except Exception:
        for p in cairn.procs:
            p.stop(signal.SIGKILL)
        _drop_database(db_name)
        raise
    return cairn


def _wait(cairn: Cairn) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(not p.running() for p in cairn.procs):
            raise RuntimeError(f"exited during start-up:\n{cairn.outputs()}")
        try:
            res = requests.get(f"{cairn.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}, auth=(ADMIN, ADMIN_PW), timeout=5)
            if res.status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"not ready after {START_TIMEOUT_S:.0f} s:\n{cairn.outputs()}")


@pytest.fixture(scope="module")
def secured(cairn: Cairn):
    """A Cairn with authentication on, in the session's mode."""
    if cairn.mode not in ("embedded", "distributed"):
        pytest.skip("Cairn-only: MLflow's reference server runs without the basic-auth app here")
    log_dir = Path(tempfile.mkdtemp(prefix="cairn-compat-auth-logs-"))
    server = _start(cairn.mode, log_dir)
    try:
        _wait(server)
    except Exception as err:
        _stop(server)
        _cleanup(server, log_dir)
        pytest.fail(str(err), pytrace=False)
    yield server
    codes = _stop(server)
    _cleanup(server, log_dir)
    shutil.rmtree(log_dir, ignore_errors=True)
    assert all(code == 0 for code in codes.values()), codes


@pytest.fixture
def as_user(secured: Cairn, monkeypatch: pytest.MonkeyPatch):
    """as_user(name, password) / as_user(token=...): the client's credentials, as environment variables."""

    def use(username: str | None = None, password: str | None = None, token: str | None = None) -> MlflowClient:
        for var in CRED_VARS:
            monkeypatch.delenv(var, raising=False)
        if username is not None:
            monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", username)
            monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password or "")
        if token is not None:
            monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", secured.url)
        mlflow.set_tracking_uri(secured.url)
        return MlflowClient(tracking_uri=secured.url)

    return use


@pytest.fixture(scope="module")
def users(secured: Cairn):
    """Two users created by the admin with MLflow's own AuthServiceClient."""
    import os

    saved = {v: os.environ.get(v) for v in CRED_VARS}
    os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"] = ADMIN, ADMIN_PW
    os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    try:
        auth = AuthServiceClient(secured.url)
        for name in ("alice", "bob"):
            user = auth.create_user(name, f"{name}-pw")
            assert user["username"] == name and user["is_admin"] is False
        assert auth.get_user("alice")["username"] == "alice"
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
    return {"alice": "alice-pw", "bob": "bob-pw"}


def _token(secured: Cairn, user: str, password: str) -> str:
    res = requests.post(f"{secured.url}/api/2.0/cairn/tokens", json={"description": "compat"}, auth=(user, password), timeout=10)
    assert res.status_code == 200, res.text
    return res.json()["token"]


def test_username_password_and_a_denied_call(as_user, users, uniq):
    alice = as_user("alice", users["alice"])
    exp_id = alice.create_experiment(uniq("alice-exp"))
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.log_param("p", "1")
        mlflow.log_metric("m", 0.5)
    assert alice.get_run(run.info.run_id).data.metrics == {"m": 0.5}
    assert exp_id in [e.experiment_id for e in alice.search_experiments()]

    bob = as_user("bob", users["bob"])
    # The default permission (READ) lets bob read, not write.
    assert bob.get_experiment(exp_id).name.startswith("alice-exp")
    with pytest.raises(MlflowException) as denied:
        bob.log_metric(run.info.run_id, "m", 1.0)
    assert denied.value.error_code == "PERMISSION_DENIED"
    with pytest.raises(MlflowException) as denied_create:
        bob.create_run(exp_id)
    assert denied_create.value.error_code == "PERMISSION_DENIED"

    # The creator manages her experiment: she grants bob EDIT with MLflow's AuthServiceClient.
    as_user("alice", users["alice"])
    granted = AuthServiceClient(mlflow.get_tracking_uri()).create_experiment_permission(exp_id, "bob", "EDIT")
    assert granted["permission"] == "EDIT"
    bob = as_user("bob", users["bob"])
    bob.log_metric(run.info.run_id, "m", 1.0)
    assert [m.value for m in bob.get_metric_history(run.info.run_id, "m")] == [0.5, 1.0]


def test_token_and_a_denied_call(secured, as_user, users, uniq):
    token = _token(secured, "alice", users["alice"])
    alice = as_user(token=token)
    exp_id = alice.create_experiment(uniq("token-exp"))
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.log_metric("acc", 0.9)
    assert alice.get_run(run.info.run_id).data.metrics["acc"] == 0.9

    bob = as_user(token=_token(secured, "bob", users["bob"]))
    with pytest.raises(MlflowException) as denied:
        bob.set_tag(run.info.run_id, "k", "v")
    assert denied.value.error_code == "PERMISSION_DENIED"
    with pytest.raises(MlflowException) as denied_delete:
        bob.delete_experiment(exp_id)
    assert denied_delete.value.error_code == "PERMISSION_DENIED"


def test_wrong_or_missing_credentials(secured, as_user, users):
    bad = as_user("alice", "not-her-password")
    with pytest.raises(MlflowException) as err:
        bad.get_experiment("0")
    assert err.value.error_code == "UNAUTHENTICATED"
    res = requests.get(f"{secured.url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}, timeout=10)
    assert res.status_code == 401
    assert res.headers["WWW-Authenticate"] == 'Basic realm="cairn"'


def test_registry_with_permissions(as_user, users, uniq):
    alice = as_user("alice", users["alice"])
    name = uniq("auth-model")
    alice.create_registered_model(name)
    bob = as_user("bob", users["bob"])
    assert bob.get_registered_model(name).name == name
    with pytest.raises(MlflowException) as denied:
        bob.delete_registered_model(name)
    assert denied.value.error_code == "PERMISSION_DENIED"
    alice = as_user("alice", users["alice"])
    alice.delete_registered_model(name)
