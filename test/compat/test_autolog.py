"""sklearn autolog (models off: model logging is a later issue): params and training metrics arrive.

Autolog uploads estimator.html (and, for classifiers, plots) through the artifact proxy
(PUT /api/2.0/mlflow-artifacts/artifacts/...) before it flushes the training metrics, so these
tests need artifact uploads as well: until then the params arrive but the metrics do not."""

from __future__ import annotations

import mlflow
import mlflow.sklearn
from mlflow.tracking import MlflowClient
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression


def _autolog() -> None:
    mlflow.sklearn.autolog(log_models=False)


def test_logistic_regression_autolog(client: MlflowClient, experiment_id: str):
    X, y = load_iris(return_X_y=True)
    _autolog()
    mlflow.set_experiment(experiment_id=experiment_id)
    with mlflow.start_run() as run:
        LogisticRegression(max_iter=200, C=0.5).fit(X, y)
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params["C"] == "0.5"
    assert got.data.params["max_iter"] == "200"
    assert "solver" in got.data.params
    acc = got.data.metrics["training_accuracy_score"]
    assert 0.8 < acc <= 1.0
    for key in ("training_precision_score", "training_recall_score", "training_f1_score", "training_score"):
        assert key in got.data.metrics, f"{key} missing from {sorted(got.data.metrics)}"
    assert got.data.tags["estimator_name"] == "LogisticRegression"
    assert got.data.tags["estimator_class"].endswith("LogisticRegression")


def test_random_forest_autolog_creates_its_own_run(client: MlflowClient, experiment_id: str):
    X, y = load_iris(return_X_y=True)
    _autolog()
    mlflow.set_experiment(experiment_id=experiment_id)
    RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)  # no active run
    run = mlflow.last_active_run()
    assert run is not None
    got = client.get_run(run.info.run_id)
    assert got.info.experiment_id == experiment_id
    assert got.info.status == "FINISHED"
    assert got.data.params["n_estimators"] == "5"
    assert got.data.params["max_depth"] == "3"
    assert got.data.metrics["training_accuracy_score"] > 0.8
    assert got.data.tags["estimator_name"] == "RandomForestClassifier"
    runs = client.search_runs([experiment_id])
    assert [r.info.run_id for r in runs] == [run.info.run_id]

