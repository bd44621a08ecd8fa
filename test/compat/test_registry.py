"""The model registry through the official client: registered models, versions (from runs, logged
models and artifact URIs), stages, aliases, tags, search, rename, delete, and loading models by
stage and by alias. Plus the managed registry's governance endpoints over raw HTTP."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pytest
from helpers import assert_error, assert_ok, now_ms, raises_mlflow
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LinearRegression

EXTERNAL = "s3://compat-bucket/models"  # outside Cairn's store: registered as READY without a file check


def _version(client: MlflowClient, name: str, source: str | None = None, **kw):
    return client.create_model_version(name, source or f"{EXTERNAL}/{name}", **kw)


def _fitted() -> LinearRegression:
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    return LinearRegression().fit(x, 2 * x[:, 0] + 1)


def test_create_get_update_registered_model(client: MlflowClient, uniq):
    name = uniq("rm")
    before = now_ms()
    rm = client.create_registered_model(name, tags={"team": "fraud"}, description="first model")
    assert rm.name == name
    assert rm.tags == {"team": "fraud"}
    assert rm.description == "first model"
    assert rm.creation_timestamp >= before - 5000
    got = client.get_registered_model(name)
    assert got.name == name and got.latest_versions == [] and got.aliases == {}
    updated = client.update_registered_model(name, description="better")
    assert updated.description == "better"
    assert client.get_registered_model(name).description == "better"


def test_create_duplicate_registered_model(client: MlflowClient, uniq):
    name = uniq("dup")
    client.create_registered_model(name)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.create_registered_model(name)


def test_unknown_model_and_version_are_not_found(client: MlflowClient, uniq):
    name = uniq("missing")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(name)
    client.create_registered_model(name)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version(name, "7")


def test_versions_are_numbered_per_model(client: MlflowClient, uniq):
    a, b = uniq("num-a"), uniq("num-b")
    client.create_registered_model(a)
    client.create_registered_model(b)
    assert [_version(client, a).version for _ in range(3)] == ["1", "2", "3"]
    assert _version(client, b).version == "1"
    mv = client.get_model_version(a, "2")
    assert mv.name == a and mv.version == "2"
    assert mv.current_stage == "None"
    assert mv.status == "READY"
    assert mv.source == f"{EXTERNAL}/{a}"


def test_register_model_from_a_run(client: MlflowClient, experiment_id: str, uniq):
    name = uniq("from-run")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_text("not really a model", "model/MLmodel")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert mv.version == "1"
    assert mv.run_id == run.info.run_id
    assert mv.status == "READY"
    got = client.get_model_version(name, "1")
    assert got.run_id == run.info.run_id
    assert client.get_model_version_download_uri(name, "1").endswith(f"{run.info.run_id}/artifacts/model")


def test_log_model_with_registered_model_name(client: MlflowClient, experiment_id: str, uniq):
    name = uniq("logged")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.sklearn.log_model(_fitted(), name="model", registered_model_name=name)
    assert str(info.registered_model_version) == "1"
    mv = client.get_model_version(name, "1")
    assert mv.status == "READY"
    assert mv.run_id == run.info.run_id
    assert mv.source == f"models:/{info.model_id}"
    # The server keeps the logged model's mlflow.modelVersions tag in sync.
    links = json.loads(client.get_logged_model(info.model_id).tags["mlflow.modelVersions"])
    assert {"name": name, "version": 1} in [{**l, "version": int(l["version"])} for l in links]

    predicted = mlflow.pyfunc.load_model(f"models:/{name}/1").predict(np.array([[5.0]]))
    assert predicted[0] == pytest.approx(11.0)


def test_register_model_of_a_logged_model(client: MlflowClient, experiment_id: str, uniq):
    name = uniq("reg-logged")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.sklearn.log_model(_fitted(), name="model")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert mv.version == "1"
    assert mv.source == f"models:/{info.model_id}"
    assert mv.run_id == run.info.run_id


def test_load_model_by_stage_and_alias(client: MlflowClient, experiment_id: str, uniq):
    name = uniq("load")
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.sklearn.log_model(_fitted(), name="model", registered_model_name=name)
    client.transition_model_version_stage(name, "1", "Production")
    client.set_registered_model_alias(name, "champion", "1")
    x = np.array([[10.0]])
    assert mlflow.pyfunc.load_model(f"models:/{name}/Production").predict(x)[0] == pytest.approx(21.0)
    assert mlflow.pyfunc.load_model(f"models:/{name}@champion").predict(x)[0] == pytest.approx(21.0)
    assert mlflow.pyfunc.load_model(f"models:/{name}/latest").predict(x)[0] == pytest.approx(21.0)


def test_transition_stages_and_latest_versions(client: MlflowClient, uniq):
    name = uniq("stages")
    client.create_registered_model(name)
    for _ in range(3):
        _version(client, name)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "staging")
    mv = client.transition_model_version_stage(name, "3", "Production", archive_existing_versions=True)
    assert mv.current_stage == "Production"
    assert [client.get_model_version(name, v).current_stage for v in ("1", "2", "3")] == ["Archived", "Staging", "Production"]

    latest = {mv.current_stage: mv.version for mv in client.get_latest_versions(name)}
    assert latest == {"Archived": "1", "Staging": "2", "Production": "3"}
    assert [mv.version for mv in client.get_latest_versions(name, stages=["Production"])] == ["3"]
    rm = client.get_registered_model(name)
    assert sorted((mv.current_stage, mv.version) for mv in rm.latest_versions) == [
        ("Archived", "1"),
        ("Production", "3"),
        ("Staging", "2"),
    ]
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.transition_model_version_stage(name, "1", "Prod")


def test_aliases(client: MlflowClient, uniq):
    name = uniq("alias")
    client.create_registered_model(name)
    _version(client, name)
    _version(client, name)
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "challenger", "2")
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    client.set_registered_model_alias(name, "champion", "2")
    mv = client.get_model_version_by_alias(name, "champion")
    assert mv.version == "2" and sorted(mv.aliases) == ["challenger", "champion"]
    assert client.get_registered_model(name).aliases == {"champion": "2", "challenger": "2"}
    assert client.get_model_version_by_alias(name, "latest").version == "2"
    client.delete_registered_model_alias(name, "challenger")
    assert client.get_model_version(name, "2").aliases == ["champion"]
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.get_model_version_by_alias(name, "challenger")
    for reserved in ("latest", "v1", "V12"):
        with raises_mlflow("INVALID_PARAMETER_VALUE"):
            client.set_registered_model_alias(name, reserved, "1")
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.set_registered_model_alias(name, "bad alias", "1")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.set_registered_model_alias(name, "ghost", "9")


def test_tags_on_models_and_versions(client: MlflowClient, uniq):
    name = uniq("tags")
    client.create_registered_model(name)
    _version(client, name, tags={"a": "1"})
    client.set_registered_model_tag(name, "owner", "ml-team")
    client.set_model_version_tag(name, "1", "validated", "true")
    client.set_model_version_tag(name, "1", "a", "2")
    assert client.get_registered_model(name).tags == {"owner": "ml-team"}
    assert client.get_model_version(name, "1").tags == {"a": "2", "validated": "true"}
    client.delete_registered_model_tag(name, "owner")
    client.delete_model_version_tag(name, "1", "a")
    assert client.get_registered_model(name).tags == {}
    assert client.get_model_version(name, "1").tags == {"validated": "true"}
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.set_model_version_tag(name, "1", "../escape", "x")


def test_search_registered_models(client: MlflowClient, uniq):
    prefix = uniq("search")
    for i in range(5):
        client.create_registered_model(f"{prefix}-{i}", tags={"team": "a" if i % 2 == 0 else "b", "idx": str(i)})
    names = [rm.name for rm in client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'")]
    assert names == [f"{prefix}-{i}" for i in range(5)]
    team_a = client.search_registered_models(filter_string=f"name LIKE '{prefix}%' AND tags.team = 'a'")
    assert [rm.name for rm in team_a] == [f"{prefix}-0", f"{prefix}-2", f"{prefix}-4"]
    desc = client.search_registered_models(filter_string=f"name ILIKE '{prefix.upper()}%'", order_by=["name DESC"])
    assert [rm.name for rm in desc] == [f"{prefix}-{i}" for i in reversed(range(5))]

    first = client.search_registered_models(filter_string=f"name LIKE '{prefix}%'", max_results=2)
    assert len(first) == 2 and first.token
    second = client.search_registered_models(filter_string=f"name LIKE '{prefix}%'", max_results=2, page_token=first.token)
    third = client.search_registered_models(filter_string=f"name LIKE '{prefix}%'", max_results=2, page_token=second.token)
    assert [rm.name for rm in [*first, *second, *third]] == [f"{prefix}-{i}" for i in range(5)]
    assert not third.token
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.search_registered_models(filter_string="run_id = 'x'")


def test_search_model_versions(client: MlflowClient, experiment_id: str, uniq):
    name = uniq("sv")
    client.create_registered_model(name)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        pass
    _version(client, name, tags={"env": "dev"})
    _version(client, name, run_id=run.info.run_id, tags={"env": "prod", "tier": "gold"})
    _version(client, name, tags={"env": "prod"})
    found = client.search_model_versions(f"name = '{name}'")
    assert sorted(mv.version for mv in found) == ["1", "2", "3"]
    assert [mv.version for mv in client.search_model_versions(f"run_id = '{run.info.run_id}'")] == ["2"]
    prod = client.search_model_versions(f"name = '{name}' AND tags.env = 'prod'", order_by=["version_number ASC"])
    assert [mv.version for mv in prod] == ["2", "3"]
    gold = client.search_model_versions(f"name = '{name}' AND tags.env = 'prod' AND tags.tier = 'gold'")
    assert [mv.version for mv in gold] == ["2"]
    assert [mv.version for mv in client.search_model_versions(f"name = '{name}' AND version_number > 1", order_by=["version_number DESC"])] == ["3", "2"]
    assert mlflow.search_model_versions(filter_string=f"name='{name}'", max_results=2)[0].name == name


def test_rename_keeps_versions(client: MlflowClient, uniq):
    name, new_name = uniq("old"), uniq("new")
    client.create_registered_model(name)
    _version(client, name)
    _version(client, name)
    client.set_registered_model_alias(name, "champion", "2")
    client.rename_registered_model(name, new_name)
    assert client.get_registered_model(new_name).aliases == {"champion": "2"}
    assert sorted(mv.version for mv in client.search_model_versions(f"name = '{new_name}'")) == ["1", "2"]
    assert client.get_model_version(new_name, "2").aliases == ["champion"]
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(name)
    taken = uniq("taken")
    client.create_registered_model(taken)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.rename_registered_model(new_name, taken)


def test_delete_versions_and_models(client: MlflowClient, uniq):
    name = uniq("del")
    client.create_registered_model(name)
    _version(client, name)
    _version(client, name)
    client.delete_model_version(name, "1")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version(name, "1")
    assert _version(client, name).version == "3"  # numbers are never reused
    client.update_model_version(name, "2", description="kept")
    assert client.get_model_version(name, "2").description == "kept"
    client.delete_registered_model(name)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(name)
    assert client.search_model_versions(f"name = '{name}'") == []


def test_governance_over_http(client: MlflowClient, api, uniq):
    name = uniq("gov")
    client.create_registered_model(name)
    _version(client, name)
    _version(client, name)
    client.transition_model_version_stage(name, "1", "Production")
    req = assert_ok(api.post("transition-requests/create", {"name": name, "version": "2", "stage": "Production", "comment": "ship it"}, headers={"X-Cairn-User": "alice"}))
    assert req["request"]["user_id"] == "alice" and req["request"]["to_stage"] == "Production"
    listed = assert_ok(api.get("transition-requests/list", {"name": name, "version": "2"}))
    assert [r["user_id"] for r in listed["requests"]] == ["alice"]
    approved = assert_ok(api.post("transition-requests/approve", {"name": name, "version": "2", "stage": "Production", "archive_existing_versions": True}, headers={"X-Cairn-User": "bob"}))
    assert approved["activity"]["activity_type"] == "APPROVED_REQUEST" and approved["activity"]["user_id"] == "bob"
    assert client.get_model_version(name, "1").current_stage == "Archived"
    assert client.get_model_version(name, "2").current_stage == "Production"
    assert_ok(api.post("comments/create", {"name": name, "version": "2", "comment": "deployed"}, headers={"X-Cairn-User": "carol"}))
    history = assert_ok(api.get("model-versions/activity", {"name": name, "version": "2"}))
    assert [(a["activity_type"], a["user_id"]) for a in history["activities"]] == [
        ("REQUESTED_TRANSITION", "alice"),
        ("APPROVED_REQUEST", "bob"),
        ("NEW_COMMENT", "carol"),
    ]
    archived = assert_ok(api.get("model-versions/activity", {"name": name, "version": "1"}))
    assert [a["activity_type"] for a in archived["activities"]] == ["APPLIED_TRANSITION", "SYSTEM_TRANSITION"]
    # Invalid transitions: a clear 4xx.
    assert_error(api.post("transition-requests/create", {"name": name, "version": "2", "stage": "Bogus"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("transition-requests/approve", {"name": name, "version": "2", "stage": "Production", "archive_existing_versions": True}), 404, "RESOURCE_DOES_NOT_EXIST")
    client.delete_model_version(name, "1")
    assert_error(api.post("comments/create", {"name": name, "version": "1", "comment": "late"}), 404, "RESOURCE_DOES_NOT_EXIST")
