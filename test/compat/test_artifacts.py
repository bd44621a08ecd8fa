"""Artifacts through the official client and raw HTTP: the proxied artifact store.

Covers log_artifact / log_artifacts (nested directories), list_artifacts,
download_artifacts, deleting through the client's artifact repository, a
scikit-learn model logged and loaded back from ``runs:/`` and from
``models:/<model_id>`` with equal predictions, a large file through MLflow's
proxied multipart upload (``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true``) with
its checksum verified after download, Range/HEAD downloads, and path
traversal attempts over raw HTTP.

The multipart file is ``CAIRN_COMPAT_MPU_MB`` MiB (default 96, not the 1 GB of
the issue, to keep CI time sane; 1024 passes too); the client's multipart
threshold and part size are lowered to match (8 MiB parts: S3 wants >= 5 MiB
but the last).

Against MLflow's own server (``CAIRN_COMPAT_MODES=mlflow``) the few places
where Cairn deliberately differs are skipped or relaxed, each saying why:
MLflow's local artifact store has no multipart upload (the client falls back
to one PUT), it loses empty files, and on Linux it accepts NUL (as a literal
``%00``) and backslashes in artifact names, which Cairn refuses.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import mlflow
import numpy as np
import pytest
import requests
from helpers import assert_error
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository
from mlflow.tracking import MlflowClient

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
MPU_MB = int(os.environ.get("CAIRN_COMPAT_MPU_MB", "96"))
MPU_PART = 8 * 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run_key(run) -> str:
    """The store key of a run's artifact root (mlflow-artifacts:/<exp>/<run>/artifacts)."""
    uri = run.info.artifact_uri
    assert uri.startswith("mlflow-artifacts:/"), uri
    return uri[len("mlflow-artifacts:") :].lstrip("/")


def _auth_headers() -> dict[str, str]:
    """The credentials the mlflow client would send (MLFLOW_TRACKING_TOKEN, or USERNAME/PASSWORD), for raw requests."""
    import base64

    if token := os.environ.get("MLFLOW_TRACKING_TOKEN"):
        return {"Authorization": f"Bearer {token}"}
    user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
    return {}


def _http() -> requests.Session:
    session = requests.Session()
    session.headers.update(_auth_headers())
    return session


def _is_mlflow(cairn) -> bool:
    return cairn.mode == "mlflow"


def _cairn_only(cairn, why: str) -> None:
    if _is_mlflow(cairn):
        pytest.skip(f"Cairn differs from MLflow here on purpose: {why}")


def _raw(base: str, method: str, raw_path: str, body: bytes | None = None) -> tuple[int, dict]:
    """One request with the path sent exactly as given (requests/urllib3 would normalise '..')."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = {**_auth_headers(), **({"Content-Type": "application/octet-stream"} if body else {})}
        conn.request(method, raw_path, body=body, headers=headers)
        res = conn.getresponse()
        payload = res.read()
        try:
            import json

            return res.status, json.loads(payload or b"{}")
        except ValueError:
            return res.status, {"raw": payload[:200]}
    finally:
        conn.close()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "top.txt").write_text("top")
    (root / "sub" / "mid.json").write_text('{"a": 1}')
    (root / "sub" / "deeper" / "leaf.bin").write_bytes(os.urandom(3000))
    (root / "sub" / "deeper" / "empty.txt").write_bytes(b"")
    return root


def test_log_list_download_artifacts(cairn, client: MlflowClient, experiment_id: str, tree: Path, tmp_path: Path):
    single = tmp_path / "single file.txt"
    single.write_text("hello artifacts")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(single))
        mlflow.log_artifact(str(single), artifact_path="nested/dir")
        mlflow.log_artifacts(str(tree), artifact_path="tree")
        mlflow.log_text("logged text", "notes/readme.md")
        mlflow.log_dict({"k": [1, 2]}, "config/params.json")
    run_id = run.info.run_id
    assert run.info.artifact_uri == f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"

    top = {f.path: f for f in client.list_artifacts(run_id)}
    assert set(top) == {"single file.txt", "nested", "tree", "notes", "config"}
    assert top["single file.txt"].is_dir is False and top["single file.txt"].file_size == len("hello artifacts")
    assert top["tree"].is_dir is True and top["tree"].file_size is None

    listed = {f.path: f for f in client.list_artifacts(run_id, "tree/sub")}
    assert set(listed) == {"tree/sub/mid.json", "tree/sub/deeper"}
    deeper = {f.path: f.file_size for f in client.list_artifacts(run_id, "tree/sub/deeper")}
    if _is_mlflow(cairn):  # MLflow's server drops empty files; Cairn keeps them
        deeper["tree/sub/deeper/empty.txt"] = 0
    assert deeper == {"tree/sub/deeper/leaf.bin": 3000, "tree/sub/deeper/empty.txt": 0}
    # A path naming a file lists as empty (MLflow's convention).
    assert client.list_artifacts(run_id, "tree/top.txt") == []

    dst = tmp_path / "download"
    dst.mkdir()
    local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="tree", dst_path=str(dst)))
    for rel in ["top.txt", "sub/mid.json", "sub/deeper/leaf.bin", *([] if _is_mlflow(cairn) else ["sub/deeper/empty.txt"])]:
        assert (local / rel).read_bytes() == (tree / rel).read_bytes(), rel
    one = Path(client.download_artifacts(run_id, "nested/dir/single file.txt", str(dst)))
    assert one.read_text() == "hello artifacts"
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes/readme.md") == "logged text"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config/params.json") == {"k": [1, 2]}


def test_tracking_artifacts_list_endpoint(api, experiment_id: str, tree: Path):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifacts(str(tree), artifact_path="tree")
    res = api.get("artifacts/list", params={"run_id": run.info.run_id, "path": "tree/sub"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["root_uri"] == run.info.artifact_uri
    assert sorted(body["files"], key=lambda f: f["path"]) == [
        {"path": "tree/sub/deeper", "is_dir": True},
        {"path": "tree/sub/mid.json", "is_dir": False, "file_size": 8},
    ]
    assert_error(api.get("artifacts/list", params={"run_id": run.info.run_id, "path": "../.."}), 400, "INVALID_PARAMETER_VALUE")


def test_delete_artifacts_through_the_client_repository(experiment_id: str, tree: Path, client: MlflowClient):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifacts(str(tree), artifact_path="tree")
    repo = get_artifact_repository(run.info.artifact_uri)
    repo.delete_artifacts("tree/sub/deeper")
    assert {f.path for f in client.list_artifacts(run.info.run_id, "tree/sub")} == {"tree/sub/mid.json"}
    repo.delete_artifacts("tree")
    assert client.list_artifacts(run.info.run_id) == []


def test_sklearn_model_round_trip(experiment_id: str, tmp_path: Path, client: MlflowClient):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] - X[:, 2] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    expected = model.predict(X)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
    assert info.model_uri == f"models:/{info.model_id}"

    files = {f.path for f in client.list_logged_model_artifacts(info.model_id)}
    assert {"MLmodel", "requirements.txt"} <= files and any(f.startswith("model.") for f in files), files

    for uri in (f"runs:/{run.info.run_id}/model", f"models:/{info.model_id}"):
        loaded = mlflow.pyfunc.load_model(uri)
        np.testing.assert_array_equal(np.asarray(loaded.predict(X)), expected, err_msg=uri)
    np.testing.assert_array_equal(mlflow.sklearn.load_model(info.model_uri).predict(X), expected)


def test_large_file_through_proxied_multipart_upload(
    experiment_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cairn
):
    _cairn_only(cairn, "MLflow's local artifact store has no multipart upload (501; the client falls back to one PUT)")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(16 * 1024 * 1024))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(MPU_PART))
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        for _ in range(MPU_MB):
            f.write(os.urandom(1024 * 1024))
    want = _sha256(big)

    # Prove the multipart path ran (not a fallback to a single PUT).
    calls: dict[str, int] = {"create": 0, "parts": 0, "complete": 0}
    original_create = HttpArtifactRepository.create_multipart_upload
    original_part = HttpArtifactRepository._upload_part
    original_complete = HttpArtifactRepository.complete_multipart_upload

    def create(self, *args, **kwargs):
        calls["create"] += 1
        return original_create(self, *args, **kwargs)

    def part(*args, **kwargs):
        calls["parts"] += 1
        return original_part(*args, **kwargs)

    def complete(self, *args, **kwargs):
        calls["complete"] += 1
        return original_complete(self, *args, **kwargs)

    monkeypatch.setattr(HttpArtifactRepository, "create_multipart_upload", create)
    monkeypatch.setattr(HttpArtifactRepository, "_upload_part", staticmethod(part))
    monkeypatch.setattr(HttpArtifactRepository, "complete_multipart_upload", complete)

    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(big), artifact_path="large")
    assert calls == {"create": 1, "parts": -(-MPU_MB * 1024 * 1024 // MPU_PART), "complete": 1}

    listed = {f.path: f.file_size for f in MlflowClient().list_artifacts(run.info.run_id, "large")}
    assert listed == {"large/big.bin": MPU_MB * 1024 * 1024}
    dst = tmp_path / "back"
    dst.mkdir()
    local = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="large/big.bin", dst_path=str(dst)))
    assert _sha256(local) == want


def test_range_and_head_downloads(cairn, experiment_id: str, tmp_path: Path):
    data = os.urandom(100_000)
    blob = tmp_path / "blob.bin"
    blob.write_bytes(data)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(blob))
    url = f"{cairn.url}{ARTIFACTS}/{_run_key(run)}/blob.bin"
    http = _http()
    part = http.get(url, headers={"Range": "bytes=10-19"}, timeout=30)
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert part.content == data[10:20]
    whole = http.get(url, timeout=30)
    assert whole.status_code == 200 and whole.headers["Content-Length"] == str(len(data)) and whole.content == data
    head = http.head(url, timeout=30)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data))
    outside = http.get(url, headers={"Range": f"bytes={len(data)}-"}, timeout=30)
    assert outside.status_code == 416
    assert_error(http.get(f"{cairn.url}{ARTIFACTS}/{_run_key(run)}/missing.bin", timeout=30), 404, "RESOURCE_DOES_NOT_EXIST")


STRICTER = "MLflow on Linux stores NUL (as a literal %00) and backslashes in names; Cairn refuses them"


@pytest.mark.parametrize(
    "method,tail,stricter",
    [
        ("GET", "/{run}/../../../../etc/passwd", False),
        ("GET", "/{run}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", False),
        ("GET", "/{run}/%252e%252e/%252e%252e/x", False),
        ("GET", "/{run}/..%2f..%2f..%2fx", False),
        ("GET", "//etc/passwd", False),
        ("GET", "/%2Fetc%2Fpasswd", False),
        ("GET", "/{run}/file%00.txt", True),
        ("GET", "/{run}/..%5c..%5cx", True),
        ("PUT", "/{run}/../../escape.txt", False),
        ("PUT", "/{run}/%2e%2e/%2e%2e/escape.txt", False),
        ("PUT", "/{run}/a%00b.txt", True),
        ("PUT", "/{run}/dir%5cfile.txt", True),
        ("DELETE", "/{run}/../..", False),
        ("DELETE", "/%2e%2e", False),
        ("GET", "?path={run}/../..", False),
        ("GET", "?path=/etc", False),
    ],
)
def test_path_traversal_is_refused(cairn, experiment_id: str, tmp_path: Path, method: str, tail: str, stricter: bool):
    if stricter:
        _cairn_only(cairn, STRICTER)
    marker = tmp_path / "marker.txt"
    marker.write_text("x")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(marker))
    status, body = _raw(cairn.url, method, ARTIFACTS + tail.format(run=_run_key(run)), b"evil" if method == "PUT" else None)
    assert status == 400, (status, body)
    assert body.get("error_code") == "INVALID_PARAMETER_VALUE", body


def test_multipart_paths_are_confined(cairn):
    _cairn_only(cairn, "MLflow's local artifact store answers 501 to every multipart call")
    base = f"{cairn.url}/api/2.0/mlflow-artifacts/mpu"
    for url, payload in [
        (f"{base}/create/0/%2e%2e/%2e%2e", {"path": "f.bin", "num_parts": 1}),
        (f"{base}/create/0/x", {"path": "/tmp/..", "num_parts": 1}),
        (f"{base}/abort/0/x", {"path": "..", "upload_id": str(uuid.uuid4())}),
    ]:
        assert_error(_http().post(url, json=payload, timeout=30), 400, "INVALID_PARAMETER_VALUE")
