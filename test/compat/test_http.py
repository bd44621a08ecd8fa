"""Raw HTTP against both prefixes: MLflow's status codes and error_code for bad input, never a 5xx,
and nothing half-written. Expected answers are those of MLflow 3.17's own server
(mlflow/server/handlers.py, mlflow/server/validation.py, mlflow/utils/validation.py)."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from helpers import PREFIXES, Api, assert_error, assert_ok

pytestmark = pytest.mark.parametrize("prefix", PREFIXES, ids=["api", "ajax-api"])

MISSING_RUN = "0123456789abcdef0123456789abcdef"


def _experiment(api: Api, prefix: str) -> str:
    return assert_ok(api.post("experiments/create", {"name": f"http-{uuid.uuid4().hex[:12]}"}, prefix))["experiment_id"]


def _run(api: Api, prefix: str) -> str:
    exp = _experiment(api, prefix)
    body = assert_ok(api.post("runs/create", {"experiment_id": exp, "start_time": 1_700_000_000_000}, prefix))
    return body["run"]["info"]["run_id"]


def _run_data(api: Api, prefix: str, run_id: str) -> dict:
    data = assert_ok(api.get("runs/get", {"run_id": run_id}, prefix))["run"].get("data", {})
    tags = [t for t in data.get("tags", []) if not t["key"].startswith("mlflow.")]
    return {"metrics": data.get("metrics", []), "params": data.get("params", []), "tags": tags}


EMPTY = {"metrics": [], "params": [], "tags": []}


# ---- basics ---------------------------------------------------------------------------------


def test_health_version_and_request_id(api: Api, prefix: str):
    health = requests.get(f"{api.base}/health", timeout=10)
    assert health.status_code == 200
    assert health.text == "OK"
    version = requests.get(f"{api.base}/version", timeout=10)
    assert version.status_code == 200
    assert re.fullmatch(r"3\.\d+\.\d+\S*", version.text.strip()), version.text

    rid = f"compat-{uuid.uuid4().hex}"
    res = api.get("experiments/get", {"experiment_id": "0"}, prefix, headers={"X-Request-Id": rid})
    assert res.status_code == 200
    assert res.headers.get("X-Request-Id") == rid
    generated = api.get("experiments/get", {"experiment_id": "0"}, prefix)
    assert generated.headers.get("X-Request-Id"), "a request id is generated when none is sent"
    failed = api.get("experiments/get", {"experiment_id": "987654325"}, prefix, headers={"X-Request-Id": rid})
    assert failed.headers.get("X-Request-Id") == rid


def test_responses_are_json_with_mlflow_shapes(api: Api, prefix: str):
    res = api.get("experiments/get", {"experiment_id": "0"}, prefix)
    assert res.headers["Content-Type"].startswith("application/json")
    exp = res.json()["experiment"]
    assert exp["experiment_id"] == "0"
    assert exp["name"] == "Default"
    assert exp["lifecycle_stage"] == "active"
    assert isinstance(exp["creation_time"], int) and isinstance(exp["last_update_time"], int)

    run_id = _run(api, prefix)
    assert_ok(api.post("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.5, "timestamp": 5, "step": 2}, prefix))
    run = assert_ok(api.get("runs/get", {"run_id": run_id}, prefix))["run"]
    assert run["info"]["run_id"] == run_id and run["info"]["run_uuid"] == run_id
    assert run["info"]["status"] == "RUNNING"
    assert run["info"]["start_time"] == 1_700_000_000_000
    [metric] = run["data"]["metrics"]
    assert {k: metric[k] for k in ("key", "value", "timestamp", "step")} == {"key": "m", "value": 1.5, "timestamp": 5, "step": 2}


def test_int64_as_strings_and_special_doubles(api: Api, prefix: str):
    """Protobuf JSON: int64 may arrive as strings; doubles as "NaN" / "Infinity"."""
    run_id = _run(api, prefix)
    assert_ok(api.post("runs/log-metric", {"run_id": run_id, "key": "s", "value": "2.5", "timestamp": "7", "step": "3"}, prefix))
    assert_ok(api.post("runs/log-metric", {"run_id": run_id, "key": "n", "value": "NaN", "timestamp": 1}, prefix))
    assert_ok(api.post("runs/log-metric", {"run_id": run_id, "key": "i", "value": "-Infinity", "timestamp": 1}, prefix))
    metrics = {m["key"]: m for m in _run_data(api, prefix, run_id)["metrics"]}
    assert metrics["s"]["value"] == 2.5 and metrics["s"]["timestamp"] == 7 and metrics["s"]["step"] == 3
    assert metrics["n"]["value"] == "NaN"
    # MLflow's SQL store keeps infinities as ±max double; both decode to what the client expects.
    assert metrics["i"]["value"] in ("-Infinity", -1.7976931348623157e308)


# ---- routing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "no-such-endpoint"), ("POST", "runs/no-such-thing"), ("GET", "experiments/get/extra")],
)
def test_unknown_route_is_endpoint_not_found(api: Api, prefix: str, method: str, path: str):
    res = api.request(method, path, prefix, json={} if method == "POST" else None)
    assert_error(res, 404, "ENDPOINT_NOT_FOUND")


def test_wrong_method_is_a_client_error(api: Api, prefix: str):
    res = api.request("DELETE", "experiments/create", prefix)
    assert res.status_code in (404, 405), f"{res.status_code}: {res.text[:300]}"


# ---- malformed requests ---------------------------------------------------------------------


def test_malformed_json_is_treated_as_empty(api: Api, prefix: str):
    """MLflow parses bodies leniently (invalid JSON reads as {}), so a malformed body
    fails on the first missing required field: 400 INVALID_PARAMETER_VALUE."""
    headers = {"Content-Type": "application/json"}
    for body in ['{"name": ', "not json", "{'name': 'single-quoted'}"]:
        res = api.request("POST", "experiments/create", prefix, data=body, headers=headers)
        assert_error(res, 400, "INVALID_PARAMETER_VALUE")


def test_non_object_json_body_is_a_400(api: Api, prefix: str):
    """MLflow itself has no defined answer here (it fails with a 500); any 400 is accepted."""
    for body in ["[1, 2]", "42", "null"]:
        res = api.request("POST", "experiments/create", prefix, data=body, headers={"Content-Type": "application/json"})
        assert res.status_code == 400, f"{body}: {res.status_code} {res.text[:300]}"
        assert res.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST")


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"],
    ids=["none", "text-plain", "form", "xml"],
)
def test_wrong_content_type_is_invalid_parameter_value(api: Api, prefix: str, content_type):
    name = f"ct-{uuid.uuid4().hex[:12]}"
    headers = {"Content-Type": content_type} if content_type else {}
    res = api.request("POST", "experiments/create", prefix, data=f'{{"name": "{name}"}}'.encode(), headers=headers)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.get("experiments/get-by-name", {"experiment_name": name}, prefix), 404, "RESOURCE_DOES_NOT_EXIST")


def test_json_with_charset_is_accepted(api: Api, prefix: str):
    name = f"cs-{uuid.uuid4().hex[:12]}"
    res = api.request(
        "POST", "experiments/create", prefix, data=f'{{"name": "{name}"}}'.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert_ok(res)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("experiments/create", {"name": 123}),
        ("experiments/create", {"name": "x", "tags": "not-a-list"}),
        ("experiments/create", {"name": ["a"]}),
        ("runs/log-metric", {"run_id": MISSING_RUN, "key": "m", "value": "abc", "timestamp": 1}),
        ("runs/log-metric", {"run_id": MISSING_RUN, "key": "m", "value": 1.0, "timestamp": "yesterday"}),
        ("runs/log-parameter", {"run_id": 42, "key": "p", "value": "v"}),
        ("runs/set-tag", {"run_id": MISSING_RUN, "key": {"nested": 1}, "value": "v"}),
        ("runs/log-batch", {"run_id": MISSING_RUN, "metrics": {"key": "m"}}),
        ("runs/search", {"experiment_ids": ["0"], "max_results": "many"}),
        ("runs/search", {"experiment_ids": "0"}),
        ("runs/search", {"experiment_ids": ["0"], "order_by": "start_time"}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_wrong_json_types_are_invalid_parameter_value(api: Api, prefix: str, path: str, body: dict):
    assert_error(api.post(path, body, prefix), 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "experiments/create", {}),
        ("POST", "experiments/create", {"name": ""}),
        ("GET", "experiments/get", {}),
        ("GET", "experiments/get-by-name", {}),
        ("POST", "experiments/update", {"experiment_id": "0"}),
        ("POST", "experiments/delete", {}),
        ("POST", "experiments/set-experiment-tag", {"experiment_id": "0", "value": "v"}),
        ("GET", "runs/get", {}),
        ("POST", "runs/update", {}),
        ("POST", "runs/delete", {}),
        ("POST", "runs/log-metric", {"run_id": MISSING_RUN, "key": "m", "timestamp": 1}),
        ("POST", "runs/log-metric", {"run_id": MISSING_RUN, "key": "m", "value": 1.0}),
        ("POST", "runs/log-metric", {"key": "m", "value": 1.0, "timestamp": 1}),
        ("POST", "runs/log-parameter", {"run_id": MISSING_RUN, "value": "v"}),
        ("POST", "runs/set-tag", {"run_id": MISSING_RUN, "value": "v"}),
        ("POST", "runs/delete-tag", {"run_id": MISSING_RUN}),
        ("POST", "runs/log-batch", {"metrics": []}),
        ("POST", "runs/log-batch", {"run_id": MISSING_RUN, "metrics": [{"key": "m", "value": 1.0}]}),
        ("POST", "runs/log-batch", {"run_id": MISSING_RUN, "params": [{"value": "v"}]}),
        ("GET", "metrics/get-history", {"run_id": MISSING_RUN}),
        ("GET", "metrics/get-history", {"metric_key": "m"}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_missing_required_fields_are_invalid_parameter_value(api: Api, prefix: str, method: str, path: str, body: dict):
    res = api.get(path, body, prefix) if method == "GET" else api.post(path, body, prefix)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")


# ---- unknown ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "experiments/get", {"experiment_id": "987654326"}),
        ("GET", "experiments/get-by-name", {"experiment_name": "no-such-experiment-" + "x" * 20}),
        ("POST", "experiments/update", {"experiment_id": "987654326", "new_name": "whatever-name"}),
        ("POST", "experiments/delete", {"experiment_id": "987654326"}),
        ("POST", "experiments/restore", {"experiment_id": "987654326"}),
        ("POST", "experiments/set-experiment-tag", {"experiment_id": "987654326", "key": "k", "value": "v"}),
        ("POST", "runs/create", {"experiment_id": "987654326"}),
        ("GET", "runs/get", {"run_id": MISSING_RUN}),
        ("POST", "runs/update", {"run_id": MISSING_RUN, "status": "FINISHED"}),
        ("POST", "runs/delete", {"run_id": MISSING_RUN}),
        ("POST", "runs/restore", {"run_id": MISSING_RUN}),
        ("POST", "runs/log-metric", {"run_id": MISSING_RUN, "key": "m", "value": 1.0, "timestamp": 1}),
        ("POST", "runs/log-parameter", {"run_id": MISSING_RUN, "key": "p", "value": "v"}),
        ("POST", "runs/set-tag", {"run_id": MISSING_RUN, "key": "t", "value": "v"}),
        ("POST", "runs/log-batch", {"run_id": MISSING_RUN, "params": [{"key": "p", "value": "v"}]}),
        ("GET", "logged-models/m-0123456789abcdef0123456789abcdef", None),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_unknown_ids_are_resource_does_not_exist(api: Api, prefix: str, method: str, path: str, body):
    res = api.get(path, body, prefix) if method == "GET" else api.post(path, body, prefix)
    assert_error(res, 404, "RESOURCE_DOES_NOT_EXIST")


def test_non_numeric_experiment_id_is_invalid_parameter_value(api: Api, prefix: str):
    assert_error(api.get("experiments/get", {"experiment_id": "abc"}, prefix), 400, "INVALID_PARAMETER_VALUE")


def test_invalid_page_token_is_invalid_parameter_value(api: Api, prefix: str):
    res = api.post("runs/search", {"experiment_ids": ["0"], "page_token": "not-a-token!!"}, prefix)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")
    res = api.post("experiments/search", {"max_results": 5, "page_token": "not-a-token!!"}, prefix)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")


def test_max_results_limits(api: Api, prefix: str):
    assert_ok(api.post("runs/search", {"experiment_ids": ["0"], "max_results": 50000}, prefix))
    res = api.post("runs/search", {"experiment_ids": ["0"], "max_results": 50001}, prefix)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")
    res = api.post("experiments/search", {"max_results": 50001}, prefix)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")


# ---- keys and values ------------------------------------------------------------------------

BAD_KEYS = ["k" * 251, "../a", "/a", "a/../b", "./a", "a//b", ".", "a*b", "a\nb"]
BAD_KEY_IDS = ["251-chars", "dotdot-a", "slash-a", "a-dotdot-b", "dot-a", "a-slashslash-b", "dot", "star", "newline"]


@pytest.mark.parametrize("key", BAD_KEYS, ids=BAD_KEY_IDS)
def test_bad_keys_are_rejected_and_write_nothing(api: Api, prefix: str, key: str):
    run_id = _run(api, prefix)
    calls = [
        ("runs/log-metric", {"run_id": run_id, "key": key, "value": 1.0, "timestamp": 1}),
        ("runs/log-parameter", {"run_id": run_id, "key": key, "value": "v"}),
        ("runs/set-tag", {"run_id": run_id, "key": key, "value": "v"}),
        ("runs/log-batch", {"run_id": run_id, "metrics": [{"key": "ok", "value": 1, "timestamp": 1}, {"key": key, "value": 2, "timestamp": 1}]}),
        ("runs/log-batch", {"run_id": run_id, "params": [{"key": "ok", "value": "v"}, {"key": key, "value": "v"}]}),
        ("runs/log-batch", {"run_id": run_id, "tags": [{"key": "ok", "value": "v"}, {"key": key, "value": "v"}]}),
    ]
    for path, body in calls:
        assert_error(api.post(path, body, prefix), 400, "INVALID_PARAMETER_VALUE")
    assert _run_data(api, prefix, run_id) == EMPTY


def test_keys_mlflow_accepts(api: Api, prefix: str):
    """Unicode word characters (Python's \\w), colons, spaces, dashes, dots and inner slashes."""
    run_id = _run(api, prefix)
    keys = ["k" * 250, "a:b", "with space", "a-b.c_d", "dir/sub/leaf", "température", "ключ", "a..b"]
    for i, key in enumerate(keys):
        assert_ok(api.post("runs/log-parameter", {"run_id": run_id, "key": key, "value": str(i)}, prefix))
    params = {p["key"]: p["value"] for p in _run_data(api, prefix, run_id)["params"]}
    assert params == {key: str(i) for i, key in enumerate(keys)}


def test_long_values_are_truncated_like_mlflow(api: Api, prefix: str):
    """MLflow 3.17 truncates over-long param (6000) and run-tag (8000) values by default
    (MLFLOW_TRUNCATE_LONG_VALUES=true on the server) rather than rejecting them."""
    run_id = _run(api, prefix)
    assert_ok(api.post("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "a" * 6001}, prefix))
    assert_ok(api.post("runs/set-tag", {"run_id": run_id, "key": "t", "value": "b" * 8001}, prefix))
    data = _run_data(api, prefix, run_id)
    assert [(p["key"], len(p["value"])) for p in data["params"]] == [("p", 6000)]
    assert [(t["key"], len(t["value"])) for t in data["tags"]] == [("t", 8000)]


def test_experiment_limits_and_atomic_create(api: Api, prefix: str):
    assert_error(api.post("experiments/create", {"name": "n" * 501}, prefix), 400, "INVALID_PARAMETER_VALUE")
    name = f"atomic-{uuid.uuid4().hex[:12]}"
    bad_tags = [{"key": "ok", "value": "v"}, {"key": "../bad", "value": "v"}]
    assert_error(api.post("experiments/create", {"name": name, "tags": bad_tags}, prefix), 400, "INVALID_PARAMETER_VALUE")
    long_tag = [{"key": "long", "value": "x" * 20001}]
    assert_error(api.post("experiments/create", {"name": name, "tags": long_tag}, prefix), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.get("experiments/get-by-name", {"experiment_name": name}, prefix), 404, "RESOURCE_DOES_NOT_EXIST")
    exp = _experiment(api, prefix)
    res = api.post("experiments/set-experiment-tag", {"experiment_id": exp, "key": "k" * 251, "value": "v"}, prefix)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")
    tags = assert_ok(api.get("experiments/get", {"experiment_id": exp}, prefix))["experiment"].get("tags", [])
    assert tags == []


def test_duplicate_experiment_is_resource_already_exists(api: Api, prefix: str):
    name = f"dup-{uuid.uuid4().hex[:12]}"
    assert_ok(api.post("experiments/create", {"name": name}, prefix))
    assert_error(api.post("experiments/create", {"name": name}, prefix), 400, "RESOURCE_ALREADY_EXISTS")


def test_log_batch_limits_over_http(api: Api, prefix: str):
    run_id = _run(api, prefix)
    metric = lambda i: {"key": f"m{i}", "value": i, "timestamp": 1, "step": 0}  # noqa: E731
    too_many = {"run_id": run_id, "metrics": [metric(i) for i in range(1001)]}
    assert_error(api.post("runs/log-batch", too_many, prefix), 400, "INVALID_PARAMETER_VALUE")
    assert _run_data(api, prefix, run_id) == EMPTY
    at_limit = {"run_id": run_id, "metrics": [metric(i) for i in range(1000)]}
    assert_ok(api.post("runs/log-batch", at_limit, prefix))
    assert len(_run_data(api, prefix, run_id)["metrics"]) == 1000


def test_param_value_cannot_change(api: Api, prefix: str):
    run_id = _run(api, prefix)
    assert_ok(api.post("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"}, prefix))
    assert_ok(api.post("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"}, prefix))
    res = api.post("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "2"}, prefix)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")
    assert _run_data(api, prefix, run_id)["params"] == [{"key": "p", "value": "1"}]


def test_writes_to_a_deleted_run_are_invalid(api: Api, prefix: str):
    run_id = _run(api, prefix)
    assert_ok(api.post("runs/delete", {"run_id": run_id}, prefix))
    res = api.post("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1}, prefix)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")
    res = api.post("runs/log-batch", {"run_id": run_id, "params": [{"key": "p", "value": "v"}]}, prefix)
    assert_error(res, 400, "INVALID_PARAMETER_VALUE")
    assert_ok(api.post("runs/restore", {"run_id": run_id}, prefix))
    assert _run_data(api, prefix, run_id) == EMPTY
