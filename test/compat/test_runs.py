"""Runs through the official client: lifecycle, names, params, metrics, tags, delete/restore."""

from __future__ import annotations

import math
import re

import mlflow
import pytest
from helpers import now_ms, raises_mlflow
from mlflow.entities import Param, RunStatus, RunTag, ViewType
from mlflow.tracking import MlflowClient

RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def test_start_and_end_run(client: MlflowClient, experiment_id: str, uniq):
    name = uniq("run")
    mlflow.set_experiment(experiment_id=experiment_id)
    before = now_ms()
    with mlflow.start_run(run_name=name) as run:
        run_id = run.info.run_id
        assert RUN_ID.match(run_id), run_id
        assert run.info.status == "RUNNING"
        assert run.info.experiment_id == experiment_id
        assert mlflow.active_run().info.run_id == run_id
    assert mlflow.active_run() is None

    got = client.get_run(run_id)
    assert got.info.run_id == run_id
    assert got.info.experiment_id == experiment_id
    assert got.info.status == "FINISHED"
    assert got.info.lifecycle_stage == "active"
    assert got.info.run_name == name
    assert got.data.tags["mlflow.runName"] == name
    assert got.info.start_time >= before - 5000
    assert got.info.end_time is not None and got.info.end_time >= got.info.start_time
    assert got.info.artifact_uri and run_id in got.info.artifact_uri
    # Context tags the fluent API sends with the run.
    assert "mlflow.user" in got.data.tags
    assert "mlflow.source.type" in got.data.tags
    assert mlflow.last_active_run().info.run_id == run_id


def test_run_that_raises_ends_failed(client: MlflowClient, experiment_id: str):
    with pytest.raises(RuntimeError):
        with mlflow.start_run(experiment_id=experiment_id) as run:
            raise RuntimeError("boom")
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FAILED"
    assert got.info.end_time is not None


def test_nested_runs_carry_parent_run_id(client: MlflowClient, experiment_id: str):
    mlflow.set_experiment(experiment_id=experiment_id)  # nested runs go to the active experiment
    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            child_id = child.info.run_id
            with mlflow.start_run(nested=True) as grandchild:
                grandchild_id = grandchild.info.run_id
    parent_id = parent.info.run_id
    assert client.get_run(child_id).data.tags["mlflow.parentRunId"] == parent_id
    assert client.get_run(grandchild_id).data.tags["mlflow.parentRunId"] == child_id
    assert "mlflow.parentRunId" not in client.get_run(parent_id).data.tags
    children = client.search_runs([experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'")
    assert [r.info.run_id for r in children] == [child_id]
    for run_id in (parent_id, child_id, grandchild_id):
        assert client.get_run(run_id).info.status == "FINISHED"


def test_run_name_is_generated_when_missing(client: MlflowClient, experiment_id: str):
    run = client.create_run(experiment_id)
    assert run.info.run_name, "the server generates a name"
    assert run.data.tags.get("mlflow.runName") == run.info.run_name
    got = client.get_run(run.info.run_id)
    assert got.info.run_name == run.info.run_name
    assert got.data.tags["mlflow.runName"] == run.info.run_name

    with mlflow.start_run(experiment_id=experiment_id) as fluent_run:
        pass
    fluent = client.get_run(fluent_run.info.run_id)
    assert fluent.info.run_name
    assert fluent.data.tags["mlflow.runName"] == fluent.info.run_name


def test_run_name_from_tag_and_sync_on_rename(client: MlflowClient, experiment_id: str, uniq):
    tagged = uniq("tagged")
    run = client.create_run(experiment_id, tags={"mlflow.runName": tagged})
    assert run.info.run_name == tagged
    run_id = run.info.run_id

    renamed = uniq("renamed")
    client.update_run(run_id, name=renamed)
    got = client.get_run(run_id)
    assert got.info.run_name == renamed
    assert got.data.tags["mlflow.runName"] == renamed

    via_tag = uniq("via-tag")
    client.set_tag(run_id, "mlflow.runName", via_tag)
    got = client.get_run(run_id)
    assert got.info.run_name == via_tag
    assert got.data.tags["mlflow.runName"] == via_tag


def test_run_name_and_conflicting_tag_is_invalid(client: MlflowClient, experiment_id: str, uniq):
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.create_run(experiment_id, run_name=uniq("a"), tags={"mlflow.runName": uniq("b")})


def test_create_run_with_start_time_and_tags(client: MlflowClient, experiment_id: str):
    run = client.create_run(experiment_id, start_time=1_600_000_000_123, tags={"team": "compat"})
    got = client.get_run(run.info.run_id)
    assert got.info.start_time == 1_600_000_000_123
    assert got.data.tags["team"] == "compat"
    assert got.info.status == "RUNNING"
    assert got.info.end_time is None


def test_log_params(client: MlflowClient, experiment_id: str):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"layers": 3, "activation": "relu", "empty": "", "spaced key": "v", "a/b.c-d": "x"})
        mlflow.log_param("alpha", 0.5)  # same value again: allowed
    params = client.get_run(run.info.run_id).data.params
    assert params == {"alpha": "0.5", "layers": "3", "activation": "relu", "empty": "", "spaced key": "v", "a/b.c-d": "x"}


def test_changing_a_param_value_is_invalid(client: MlflowClient, experiment_id: str):
    run = client.create_run(experiment_id)
    run_id = run.info.run_id
    client.log_param(run_id, "lr", "0.1")
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_param(run_id, "lr", "0.2")
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_batch(run_id, params=[Param("lr", "0.3")])
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_log_metrics_with_steps_and_timestamps(client: MlflowClient, experiment_id: str):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_metric("loss", 1.5, step=0, timestamp=1_700_000_000_000)
        mlflow.log_metric("loss", 1.0, step=1, timestamp=1_700_000_001_000)
        mlflow.log_metric("loss", 0.5, step=2, timestamp=1_700_000_002_000)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=7)
        mlflow.log_metric("int-valued", 3)
        mlflow.log_metric("negative", -2.25, step=-1)
    run_id = run.info.run_id
    got = client.get_run(run_id)
    assert got.data.metrics == {"loss": 0.5, "acc": 0.9, "f1": 0.8, "int-valued": 3.0, "negative": -2.25}

    history = client.get_metric_history(run_id, "loss")
    assert [(m.value, m.step, m.timestamp) for m in history] == [
        (1.5, 0, 1_700_000_000_000),
        (1.0, 1, 1_700_000_001_000),
        (0.5, 2, 1_700_000_002_000),
    ]
    assert all(m.key == "loss" for m in history)
    acc = client.get_metric_history(run_id, "acc")
    assert [(m.value, m.step) for m in acc] == [(0.9, 7)]
    assert client.get_metric_history(run_id, "negative")[0].step == -1


def test_latest_metric_is_by_max_step_then_timestamp(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 10.0, timestamp=2000, step=5)
    client.log_metric(run_id, "m", 20.0, timestamp=3000, step=3)  # later, but a smaller step
    assert client.get_run(run_id).data.metrics["m"] == 10.0
    client.log_metric(run_id, "m", 30.0, timestamp=1000, step=5)  # same step, earlier timestamp
    assert client.get_run(run_id).data.metrics["m"] == 10.0
    client.log_metric(run_id, "m", 40.0, timestamp=2500, step=5)  # same step, later timestamp
    assert client.get_run(run_id).data.metrics["m"] == 40.0
    assert len(client.get_metric_history(run_id, "m")) == 4


def test_nan_and_infinite_metric_values(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "nan", float("nan"), step=0)
    client.log_metric(run_id, "pinf", float("inf"), step=0)
    client.log_metric(run_id, "ninf", float("-inf"), step=0)
    metrics = client.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["pinf"] > 1e308
    assert metrics["ninf"] < -1e308
    assert math.isnan(client.get_metric_history(run_id, "nan")[0].value)


def test_set_and_delete_tags(client: MlflowClient, experiment_id: str):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.set_tag("team", "compat")
        mlflow.set_tags({"stage": "dev", "owner": "cairn", "team": "compat-2"})
    run_id = run.info.run_id
    tags = client.get_run(run_id).data.tags
    assert tags["team"] == "compat-2"
    assert tags["stage"] == "dev"
    assert tags["owner"] == "cairn"

    client.delete_tag(run_id, "stage")
    tags = client.get_run(run_id).data.tags
    assert "stage" not in tags
    assert tags["owner"] == "cairn"


def test_delete_missing_tag_is_resource_does_not_exist(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.delete_tag(run_id, "never-set")


def test_set_terminated_failed(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_terminated(run_id, status="FAILED", end_time=1_700_000_009_000)
    got = client.get_run(run_id)
    assert got.info.status == "FAILED"
    assert got.info.end_time == 1_700_000_009_000

    other = client.create_run(experiment_id).info.run_id
    client.set_terminated(other, status=RunStatus.to_string(RunStatus.KILLED))
    got = client.get_run(other)
    assert got.info.status == "KILLED"
    assert got.info.end_time is not None


def test_end_run_with_status(client: MlflowClient, experiment_id: str):
    run = mlflow.start_run(experiment_id=experiment_id)
    mlflow.end_run(status="KILLED")
    assert client.get_run(run.info.run_id).info.status == "KILLED"


def test_delete_and_restore_run(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    keep_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)

    got = client.get_run(run_id)  # still readable
    assert got.info.lifecycle_stage == "deleted"
    active = client.search_runs([experiment_id])
    assert [r.info.run_id for r in active] == [keep_id]
    deleted = client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run_id]
    everything = client.search_runs([experiment_id], run_view_type=ViewType.ALL)
    assert sorted(r.info.run_id for r in everything) == sorted([run_id, keep_id])

    # A deleted run cannot be written to.
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_param(run_id, "p", "v")

    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    client.log_param(run_id, "p", "v")
    assert client.get_run(run_id).data.params == {"p": "v"}


def test_deleting_an_experiment_deletes_its_runs(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_experiment(experiment_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.create_run(experiment_id)
    client.restore_experiment(experiment_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_unknown_run_and_experiment(client: MlflowClient):
    missing = "0123456789abcdef0123456789abcdef"
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_run(missing)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.log_metric(missing, "m", 1.0)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.log_param(missing, "p", "v")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.set_tag(missing, "t", "v")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.create_run("987654324")


def test_long_param_and_tag_values_are_truncated_like_mlflow(client: MlflowClient, experiment_id: str):
    """MLflow 3.17's server truncates over-long param (6000) and run-tag (8000) values
    (MLFLOW_TRUNCATE_LONG_VALUES defaults to true) instead of rejecting them."""
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "at-limit", "p" * 6000)
    client.set_tag(run_id, "at-limit", "t" * 8000)
    client.log_batch(run_id, params=[Param("over-limit", "q" * 6001)], tags=[RunTag("over-limit", "u" * 8001)])
    data = client.get_run(run_id).data
    assert data.params["at-limit"] == "p" * 6000
    assert data.tags["at-limit"] == "t" * 8000
    assert data.params["over-limit"] == "q" * 6000
    assert data.tags["over-limit"] == "u" * 8000

