"""Experiments through the official client: create/get/search/rename/delete/restore/tags."""

from __future__ import annotations

import time

import mlflow
from helpers import raises_mlflow
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient


def test_default_experiment_exists(client: MlflowClient):
    exp = client.get_experiment("0")
    assert exp.experiment_id == "0"
    assert exp.name == "Default"
    assert exp.lifecycle_stage == "active"
    by_name = client.get_experiment_by_name("Default")
    assert by_name is not None and by_name.experiment_id == "0"


def test_create_and_get(client: MlflowClient, uniq):
    name = uniq("exp")
    exp_id = client.create_experiment(name, tags={"team": "compat", "stage": "dev"})
    assert isinstance(exp_id, str) and exp_id

    exp = client.get_experiment(exp_id)
    assert exp.experiment_id == exp_id
    assert exp.name == name
    assert exp.lifecycle_stage == "active"
    assert exp.tags == {"team": "compat", "stage": "dev"}
    assert exp.artifact_location  # the server picks one
    assert exp.creation_time and exp.creation_time > 0
    assert exp.last_update_time and exp.last_update_time >= exp.creation_time

    fluent = mlflow.get_experiment(exp_id)
    assert fluent.name == name


def test_create_duplicate_name_is_resource_already_exists(client: MlflowClient, uniq):
    name = uniq("dup")
    client.create_experiment(name)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.create_experiment(name)


def test_create_with_empty_name_is_invalid(client: MlflowClient):
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.create_experiment("")


def test_get_unknown_experiment_is_resource_does_not_exist(client: MlflowClient):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_experiment("987654321")


def test_get_by_name(client: MlflowClient, uniq):
    name = uniq("byname")
    exp_id = client.create_experiment(name)
    exp = client.get_experiment_by_name(name)
    assert exp is not None
    assert exp.experiment_id == exp_id
    # The client turns RESOURCE_DOES_NOT_EXIST into None.
    assert client.get_experiment_by_name(uniq("missing")) is None
    assert mlflow.get_experiment_by_name(name).experiment_id == exp_id


def test_set_experiment_creates_then_reuses(uniq):
    name = uniq("setexp")
    created = mlflow.set_experiment(name)
    assert created.name == name
    again = mlflow.set_experiment(name)
    assert again.experiment_id == created.experiment_id
    by_id = mlflow.set_experiment(experiment_id=created.experiment_id)
    assert by_id.name == name


def test_search_by_name_like_and_order_by(client: MlflowClient, uniq):
    prefix = uniq("srch")
    ids = {}
    for suffix in ["b", "a", "c"]:
        ids[suffix] = client.create_experiment(f"{prefix}-{suffix}")
        time.sleep(0.005)  # distinct creation times
    client.create_experiment(uniq("other"))

    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name ASC"])
    assert [e.name for e in found] == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]

    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name DESC"])
    assert [e.name for e in found] == [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]

    # Default order: creation_time DESC (the last created first).
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'")
    assert [e.experiment_id for e in found] == [ids["c"], ids["a"], ids["b"]]

    found = client.search_experiments(filter_string=f"name = '{prefix}-a'")
    assert [e.experiment_id for e in found] == [ids["a"]]

    # ILIKE is case-insensitive.
    found = client.search_experiments(filter_string=f"name ILIKE '{prefix.upper()}-%'")
    assert sorted(e.experiment_id for e in found) == sorted(ids.values())

    found = client.search_experiments(
        filter_string=f"name LIKE '{prefix}-%'", order_by=["creation_time ASC"]
    )
    assert [e.experiment_id for e in found] == [ids["b"], ids["a"], ids["c"]]


def test_search_by_tags(client: MlflowClient, uniq):
    prefix = uniq("tagsrch")
    red = client.create_experiment(f"{prefix}-red", tags={"color": "red", "size": "L"})
    blue = client.create_experiment(f"{prefix}-blue", tags={"color": "blue", "size": "L"})
    client.create_experiment(f"{prefix}-none")
    scope = f"name LIKE '{prefix}-%'"

    found = client.search_experiments(filter_string=f"{scope} AND tags.color = 'red'")
    assert [e.experiment_id for e in found] == [red]

    found = client.search_experiments(filter_string=f"{scope} AND tags.size = 'L'", order_by=["name ASC"])
    assert [e.experiment_id for e in found] == [blue, red]

    found = client.search_experiments(filter_string=f"{scope} AND tags.color != 'red'")
    assert [e.experiment_id for e in found] == [blue]

    found = client.search_experiments(filter_string=f"{scope} AND tags.color LIKE 'b%'")
    assert [e.experiment_id for e in found] == [blue]

    found = client.search_experiments(filter_string=f"{scope} AND tags.`color` = 'blue'")
    assert [e.experiment_id for e in found] == [blue]


def test_search_paging_with_max_results(client: MlflowClient, uniq):
    prefix = uniq("page")
    created = [client.create_experiment(f"{prefix}-{i:02d}") for i in range(7)]
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = client.search_experiments(
            filter_string=f"name LIKE '{prefix}-%'", order_by=["name ASC"], max_results=3, page_token=token
        )
        pages += 1
        assert len(page) <= 3
        seen.extend(e.experiment_id for e in page)
        token = page.token
        if not token:
            break
        assert pages < 10, "paging does not terminate"
    assert seen == created
    assert pages == 3

    # The fluent API walks all pages itself.
    all_found = mlflow.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name ASC"])
    assert [e.experiment_id for e in all_found] == created


def test_rename(client: MlflowClient, uniq):
    old, new = uniq("old"), uniq("new")
    exp_id = client.create_experiment(old)
    client.rename_experiment(exp_id, new)
    assert client.get_experiment(exp_id).name == new
    assert client.get_experiment_by_name(new).experiment_id == exp_id
    assert client.get_experiment_by_name(old) is None


def test_delete_and_restore(client: MlflowClient, uniq):
    name = uniq("del")
    exp_id = client.create_experiment(name)
    client.delete_experiment(exp_id)

    exp = client.get_experiment(exp_id)
    assert exp.lifecycle_stage == "deleted"
    scope = f"name = '{name}'"
    assert [e.experiment_id for e in client.search_experiments(filter_string=scope)] == []
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=scope)
    assert [e.experiment_id for e in deleted] == [exp_id]
    everything = client.search_experiments(view_type=ViewType.ALL, filter_string=scope)
    assert [e.experiment_id for e in everything] == [exp_id]
    # A deleted experiment keeps its name.
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.create_experiment(name)

    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    assert [e.experiment_id for e in client.search_experiments(filter_string=scope)] == [exp_id]


def test_delete_unknown_experiment_is_resource_does_not_exist(client: MlflowClient):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.delete_experiment("987654322")


def test_set_and_delete_experiment_tag(client: MlflowClient, uniq):
    exp_id = client.create_experiment(uniq("tags"))
    client.set_experiment_tag(exp_id, "k1", "v1")
    client.set_experiment_tag(exp_id, "k2", "v2")
    client.set_experiment_tag(exp_id, "k1", "v1-updated")  # overwrite
    assert client.get_experiment(exp_id).tags == {"k1": "v1-updated", "k2": "v2"}

    client.delete_experiment_tag(exp_id, "k1")
    assert client.get_experiment(exp_id).tags == {"k2": "v2"}

    mlflow.set_experiment(experiment_id=exp_id)
    mlflow.set_experiment_tags({"fluent": "yes"})
    assert client.get_experiment(exp_id).tags == {"k2": "v2", "fluent": "yes"}


def test_experiment_tag_value_limit(client: MlflowClient, uniq):
    # MLflow 3.17: experiment tag values up to 20,000 characters (MAX_EXPERIMENT_TAG_VAL_LENGTH).
    exp_id = client.create_experiment(uniq("taglimit"))
    client.set_experiment_tag(exp_id, "long", "x" * 20000)
    assert client.get_experiment(exp_id).tags["long"] == "x" * 20000
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.set_experiment_tag(exp_id, "too-long", "x" * 20001)
    assert "too-long" not in client.get_experiment(exp_id).tags


def test_experiment_tag_on_unknown_experiment(client: MlflowClient):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.set_experiment_tag("987654323", "k", "v")
