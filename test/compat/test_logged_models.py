"""MLflow 3 logged models: initialize, get, tags, params, search, finalize, delete, run outputs."""

from __future__ import annotations

import re
import time

import mlflow
from helpers import raises_mlflow
from mlflow.entities import LoggedModelOutput, LoggedModelStatus
from mlflow.tracking import MlflowClient

MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


def test_initialize_and_get(client: MlflowClient, experiment_id: str, uniq):
    run_id = client.create_run(experiment_id).info.run_id
    name = uniq("model")
    model = mlflow.initialize_logged_model(
        name=name,
        source_run_id=run_id,
        tags={"team": "compat"},
        params={"alpha": "0.1", "layers": "3"},
        model_type="classifier",
        experiment_id=experiment_id,
    )
    assert MODEL_ID.match(model.model_id), model.model_id
    assert model.status == LoggedModelStatus.PENDING
    assert model.name == name
    assert model.experiment_id == experiment_id

    got = mlflow.get_logged_model(model.model_id)
    assert got.model_id == model.model_id
    assert got.name == name
    assert got.experiment_id == experiment_id
    assert got.source_run_id == run_id
    assert got.model_type == "classifier"
    assert got.status == LoggedModelStatus.PENDING
    assert got.params == {"alpha": "0.1", "layers": "3"}
    assert got.tags["team"] == "compat"
    assert got.artifact_location.endswith(f"/{experiment_id}/models/{model.model_id}/artifacts"), got.artifact_location
    assert got.creation_timestamp > 0
    assert got.last_updated_timestamp >= got.creation_timestamp
    assert got.model_uri == f"models:/{model.model_id}"


def test_initialize_inside_a_run_links_the_run(client: MlflowClient, experiment_id: str):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        model = mlflow.initialize_logged_model()
    got = mlflow.get_logged_model(model.model_id)
    assert got.source_run_id == run.info.run_id
    assert got.experiment_id == experiment_id
    assert got.name, "a name is generated when none is given"


def test_set_and_delete_tags(client: MlflowClient, experiment_id: str):
    model = mlflow.initialize_logged_model(experiment_id=experiment_id, tags={"keep": "1"})
    mlflow.set_logged_model_tags(model.model_id, {"stage": "dev", "owner": "cairn"})
    mlflow.set_logged_model_tags(model.model_id, {"stage": "prod"})  # overwrite
    tags = mlflow.get_logged_model(model.model_id).tags
    assert tags["keep"] == "1"
    assert tags["stage"] == "prod"
    assert tags["owner"] == "cairn"

    client.delete_logged_model_tag(model.model_id, "owner")
    tags = mlflow.get_logged_model(model.model_id).tags
    assert "owner" not in tags
    assert tags["stage"] == "prod"


def test_log_model_params(experiment_id: str):
    model = mlflow.initialize_logged_model(experiment_id=experiment_id, params={"a": "1"})
    mlflow.log_model_params({"b": "2", "c": "3"}, model_id=model.model_id)
    assert mlflow.get_logged_model(model.model_id).params == {"a": "1", "b": "2", "c": "3"}


def test_finalize(experiment_id: str):
    ready = mlflow.initialize_logged_model(experiment_id=experiment_id)
    done = mlflow.finalize_logged_model(ready.model_id, LoggedModelStatus.READY)
    assert done.status == LoggedModelStatus.READY
    assert mlflow.get_logged_model(ready.model_id).status == LoggedModelStatus.READY

    failed = mlflow.initialize_logged_model(experiment_id=experiment_id)
    mlflow.finalize_logged_model(failed.model_id, "FAILED")
    assert mlflow.get_logged_model(failed.model_id).status == LoggedModelStatus.FAILED


def test_search(client: MlflowClient, experiment_id: str, uniq):
    prefix = uniq("lm")
    a = mlflow.initialize_logged_model(
        name=f"{prefix}-a", experiment_id=experiment_id, tags={"color": "red"}, params={"depth": "3"}, model_type="tree"
    )
    time.sleep(0.005)
    b = mlflow.initialize_logged_model(
        name=f"{prefix}-b", experiment_id=experiment_id, tags={"color": "blue"}, params={"depth": "5"}, model_type="tree"
    )
    time.sleep(0.005)
    c = mlflow.initialize_logged_model(name=f"{prefix}-c", experiment_id=experiment_id, model_type="linear")
    mlflow.finalize_logged_model(b.model_id, LoggedModelStatus.READY)

    def ids(**kw) -> list[str]:
        return [m.model_id for m in mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list", **kw)]

    assert ids() == [c.model_id, b.model_id, a.model_id]  # default: newest first
    assert ids(filter_string=f"name = '{prefix}-a'") == [a.model_id]
    assert ids(filter_string="tags.color = 'blue'") == [b.model_id]
    assert ids(filter_string="params.depth = '3'") == [a.model_id]
    assert sorted(ids(filter_string="model_type = 'tree'")) == sorted([a.model_id, b.model_id])
    assert ids(filter_string=f"name LIKE '{prefix}-%' AND model_type = 'tree' AND tags.color = 'red'") == [a.model_id]
    assert ids(order_by=[{"field_name": "name", "ascending": True}]) == [a.model_id, b.model_id, c.model_id]
    assert ids(order_by=[{"field_name": "creation_timestamp", "ascending": True}]) == [a.model_id, b.model_id, c.model_id]

    df = mlflow.search_logged_models(experiment_ids=[experiment_id], filter_string="model_type = 'tree'")
    assert sorted(df["model_id"]) == sorted([a.model_id, b.model_id])

    # Paging through the client.
    seen: list[str] = []
    token = None
    for _ in range(5):
        page = client.search_logged_models(
            experiment_ids=[experiment_id], max_results=2, page_token=token,
            order_by=[{"field_name": "name", "ascending": True}],
        )
        seen.extend(m.model_id for m in page)
        token = page.token
        if not token:
            break
    assert seen == [a.model_id, b.model_id, c.model_id]


def test_unknown_model_is_resource_does_not_exist():
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        mlflow.get_logged_model("m-0123456789abcdef0123456789abcdef")


def test_delete(client: MlflowClient, experiment_id: str):
    model = mlflow.initialize_logged_model(experiment_id=experiment_id)
    client.delete_logged_model(model.model_id)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        mlflow.get_logged_model(model.model_id)
    assert mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list") == []


def test_run_outputs_link_a_model(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    model = mlflow.initialize_logged_model(experiment_id=experiment_id, source_run_id=run_id)
    client.log_outputs(run_id, [LoggedModelOutput(model.model_id, step=7)])
    outputs = client.get_run(run_id).outputs.model_outputs
    assert [(o.model_id, o.step) for o in outputs] == [(model.model_id, 7)]
