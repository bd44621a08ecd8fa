"""log-batch: MLflow's per-request limits, all-or-nothing writes, and the client's chunking.

``MlflowClient.log_batch`` splits large batches itself, so the per-request limits are
exercised through the client's own REST store (``client._tracking_client.store``), which
sends exactly one LogBatch request, as the client does for each chunk.
"""

from __future__ import annotations

import mlflow
import pytest
from helpers import now_ms, raises_mlflow
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient


def _store(client: MlflowClient):
    return client._tracking_client.store


def _metrics(n: int, prefix: str = "m") -> list[Metric]:
    ts = now_ms()
    return [Metric(f"{prefix}{i}", float(i), ts, 0) for i in range(n)]


def _params(n: int, prefix: str = "p") -> list[Param]:
    return [Param(f"{prefix}{i}", f"v{i}") for i in range(n)]


def _tags(n: int, prefix: str = "t") -> list[RunTag]:
    return [RunTag(f"{prefix}{i}", f"v{i}") for i in range(n)]


def _user_data(client: MlflowClient, run_id: str):
    """The run's metrics, params and tags without the system tags (mlflow.*)."""
    data = client.get_run(run_id).data
    tags = {k: v for k, v in data.tags.items() if not k.startswith("mlflow.")}
    return data.metrics, data.params, tags


LIMITS = [
    pytest.param(1000, 0, 0, id="1000-metrics"),
    pytest.param(0, 100, 0, id="100-params"),
    pytest.param(0, 0, 100, id="100-tags"),
    pytest.param(800, 100, 100, id="1000-total"),
]


@pytest.mark.parametrize(("n_metrics", "n_params", "n_tags"), LIMITS)
def test_batch_at_the_limit_is_accepted(client: MlflowClient, experiment_id: str, n_metrics, n_params, n_tags):
    run_id = client.create_run(experiment_id).info.run_id
    _store(client).log_batch(run_id, metrics=_metrics(n_metrics), params=_params(n_params), tags=_tags(n_tags))
    metrics, params, tags = _user_data(client, run_id)
    assert len(metrics) == n_metrics
    assert len(params) == n_params
    assert len(tags) == n_tags
    if n_metrics:
        assert metrics[f"m{n_metrics - 1}"] == float(n_metrics - 1)
    if n_params:
        assert params[f"p{n_params - 1}"] == f"v{n_params - 1}"
    if n_tags:
        assert tags[f"t{n_tags - 1}"] == f"v{n_tags - 1}"


OVER_LIMITS = [
    pytest.param(1001, 0, 0, id="1001-metrics"),
    pytest.param(0, 101, 0, id="101-params"),
    pytest.param(0, 0, 101, id="101-tags"),
    pytest.param(801, 100, 100, id="1001-total"),
]


@pytest.mark.parametrize(("n_metrics", "n_params", "n_tags"), OVER_LIMITS)
def test_batch_past_the_limit_is_rejected_and_writes_nothing(
    client: MlflowClient, experiment_id: str, n_metrics, n_params, n_tags
):
    run_id = client.create_run(experiment_id).info.run_id
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        _store(client).log_batch(run_id, metrics=_metrics(n_metrics), params=_params(n_params), tags=_tags(n_tags))
    assert _user_data(client, run_id) == ({}, {}, {})
    assert client.get_metric_history(run_id, "m0") == []


def test_client_log_batch_splits_large_batches(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_metrics(2500), params=_params(250), tags=_tags(150))
    metrics, params, tags = _user_data(client, run_id)
    assert len(metrics) == 2500
    assert len(params) == 250
    assert len(tags) == 150


def test_batch_with_an_invalid_entry_writes_nothing(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    bad_metrics = _metrics(10) + [Metric("../escape", 1.0, now_ms(), 0)]
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        _store(client).log_batch(run_id, metrics=bad_metrics, params=_params(3), tags=_tags(3))
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        _store(client).log_batch(run_id, metrics=_metrics(3), params=_params(3) + [Param("x" * 251, "v")], tags=[])
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        _store(client).log_batch(run_id, metrics=_metrics(3), params=[], tags=_tags(3) + [RunTag("/abs", "v")])
    assert _user_data(client, run_id) == ({}, {}, {})


def test_duplicate_param_keys_in_one_batch_are_invalid(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        _store(client).log_batch(run_id, metrics=_metrics(2), params=[Param("k", "1"), Param("k", "2")], tags=[])
    assert _user_data(client, run_id) == ({}, {}, {})


def test_changed_param_in_a_batch_writes_nothing(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "fixed", "1")
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        _store(client).log_batch(
            run_id, metrics=_metrics(5), params=[Param("new", "n"), Param("fixed", "2")], tags=_tags(2)
        )
    assert _user_data(client, run_id) == ({}, {"fixed": "1"}, {})
    # Re-logging the same value in a batch is fine.
    _store(client).log_batch(run_id, metrics=[], params=[Param("fixed", "1"), Param("new", "n")], tags=[])
    assert _user_data(client, run_id)[1] == {"fixed": "1", "new": "n"}


def test_batch_to_unknown_run_is_resource_does_not_exist(client: MlflowClient):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        _store(client).log_batch("0123456789abcdef0123456789abcdee", metrics=_metrics(1), params=[], tags=[])


def test_fluent_log_batch_paths(client: MlflowClient, experiment_id: str):
    """log_params / log_metrics / set_tags send one LogBatch each."""
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params({f"p{i}": i for i in range(100)})
        mlflow.log_metrics({f"m{i}": float(i) for i in range(300)}, step=3)
        mlflow.set_tags({f"t{i}": str(i) for i in range(100)})
    metrics, params, tags = _user_data(client, run.info.run_id)
    assert len(params) == 100 and params["p99"] == "99"
    assert len(metrics) == 300 and metrics["m299"] == 299.0
    assert len(tags) == 100 and tags["t99"] == "99"
    assert client.get_metric_history(run.info.run_id, "m7")[0].step == 3
