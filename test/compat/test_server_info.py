"""`/api/3.0/mlflow/server-info`: the capability document the 3.x client probes.

Served without login (as MLflow does, since clients read it before they
authenticate), on both prefixes; the client finds multipart uploads there on
its own, without MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import mlflow
import pytest
import requests
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository
from mlflow.tracking import MlflowClient


@pytest.mark.parametrize("prefix", ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"])
def test_server_info_is_public_and_describes_the_server(cairn, prefix: str):
    response = requests.get(f"{cairn.url}{prefix}/server-info", timeout=30)  # no credentials on purpose
    assert response.status_code == 200, response.text
    info = response.json()
    assert info["store_type"] == "SqlStore"
    for field in ("workspaces_enabled", "trace_archival_enabled", "multipart_uploads_enabled", "multipart_downloads_enabled"):
        assert isinstance(info[field], bool), field
    if cairn.mode != "mlflow":
        assert info["multipart_uploads_enabled"] is True
        assert info["multipart_downloads_enabled"] is False


def test_client_discovers_multipart_upload(cairn, experiment_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if cairn.mode == "mlflow":
        pytest.skip("MLflow's local artifact store has no multipart upload")
    monkeypatch.delenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", raising=False)
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(8 * 1024 * 1024))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(8 * 1024 * 1024))
    data = os.urandom(20 * 1024 * 1024)
    big = tmp_path / "auto.bin"
    big.write_bytes(data)

    created: list[str] = []
    original_create = HttpArtifactRepository.create_multipart_upload

    def create(self, *args, **kwargs):
        created.append(args[0] if args else "")
        return original_create(self, *args, **kwargs)

    monkeypatch.setattr(HttpArtifactRepository, "create_multipart_upload", create)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(big))
    assert len(created) == 1, "the client did not choose multipart upload from server-info"

    dst = tmp_path / "back"
    dst.mkdir()
    local = Path(MlflowClient().download_artifacts(run.info.run_id, "auto.bin", str(dst)))
    assert hashlib.sha256(local.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
