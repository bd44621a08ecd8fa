"""Metric history: ordering, duplicates, paging past 25,000 points, bulk-interval."""

from __future__ import annotations

from helpers import assert_ok
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

BIG = 26_000  # past one page of 25,000 (the client's GET_METRIC_HISTORY_MAX_RESULTS)
BASE_TS = 1_700_000_000_000


def _log_points(client: MlflowClient, run_id: str, key: str, n: int) -> None:
    store = client._tracking_client.store
    chunks = [range(start, min(start + 1000, n)) for start in range(0, n, 1000)]

    def send(chunk: range) -> None:
        store.log_batch(
            run_id, metrics=[Metric(key, i * 0.5, BASE_TS + i, i) for i in chunk], params=[], tags=[]
        )

    for chunk in chunks:  # in order, as the client's own (async) logging queue sends them
        send(chunk)


def test_history_past_one_page(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    _log_points(client, run_id, "curve", BIG)
    history = client.get_metric_history(run_id, "curve")
    assert len(history) == BIG
    assert [m.step for m in history] == list(range(BIG))
    assert [m.timestamp for m in history[:3]] == [BASE_TS, BASE_TS + 1, BASE_TS + 2]
    assert history[-1].value == (BIG - 1) * 0.5
    assert client.get_run(run_id).data.metrics["curve"] == (BIG - 1) * 0.5


def test_history_paging_over_rest(client: MlflowClient, experiment_id: str, api):
    run_id = client.create_run(experiment_id).info.run_id
    _log_points(client, run_id, "paged", 25)
    seen: list[int] = []
    token = None
    for _ in range(10):
        params = {"run_id": run_id, "metric_key": "paged", "max_results": 10}
        if token:
            params["page_token"] = token
        body = assert_ok(api.get("metrics/get-history", params=params))
        seen.extend(int(m["step"]) for m in body.get("metrics", []))
        token = body.get("next_page_token")
        if not token:
            break
    assert seen == list(range(25))


def test_history_order_and_exact_duplicates(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    store = client._tracking_client.store
    # Out of order on purpose; history comes back by timestamp, then step, then value.
    store.log_batch(
        run_id,
        metrics=[
            Metric("k", 3.0, BASE_TS + 30, 3),
            Metric("k", 1.0, BASE_TS + 10, 1),
            Metric("k", 2.0, BASE_TS + 20, 2),
        ],
        params=[],
        tags=[],
    )
    client.log_metric(run_id, "k", 1.0, timestamp=BASE_TS + 10, step=1)  # exact duplicate: kept once
    client.log_metric(run_id, "k", 1.5, timestamp=BASE_TS + 10, step=1)  # same step/time, new value: kept
    history = client.get_metric_history(run_id, "k")
    assert [(m.value, m.timestamp, m.step) for m in history] == [
        (1.0, BASE_TS + 10, 1),
        (1.5, BASE_TS + 10, 1),
        (2.0, BASE_TS + 20, 2),
        (3.0, BASE_TS + 30, 3),
    ]


def test_batch_mixing_stored_and_new_metrics_keeps_each_once(client: MlflowClient, experiment_id: str):
    # A retried request: some rows are already stored, others are new. Stored rows are skipped, new ones kept,
    # and params/tags of the same batch are written too.
    run_id = client.create_run(experiment_id).info.run_id
    store = client._tracking_client.store
    first = [Metric("k", float(i), BASE_TS + i, i) for i in range(5)]
    store.log_batch(run_id, metrics=first, params=[], tags=[])
    retry = first[3:] + [Metric("k", float(i), BASE_TS + i, i) for i in range(5, 8)]
    store.log_batch(run_id, metrics=retry, params=[Param("p", "1")], tags=[RunTag("t", "x")])
    history = client.get_metric_history(run_id, "k")
    assert [(m.value, m.step) for m in history] == [(float(i), i) for i in range(8)]
    run = client.get_run(run_id)
    assert run.data.metrics["k"] == 7.0
    assert run.data.params == {"p": "1"}
    assert run.data.tags["t"] == "x"


def test_history_of_unlogged_key_is_empty(client: MlflowClient, experiment_id: str):
    run_id = client.create_run(experiment_id).info.run_id
    assert client.get_metric_history(run_id, "never-logged") == []


def test_history_of_unknown_run_is_empty(client: MlflowClient):
    # MLflow's SQL store answers an empty history (no existence check) for an unknown run.
    assert client.get_metric_history("0123456789abcdef0123456789abcded", "m") == []


def test_history_bulk_interval(client: MlflowClient, experiment_id: str, api):
    runs = [client.create_run(experiment_id).info.run_id for _ in range(2)]
    for n, run_id in enumerate(runs):
        for step in range(5):
            client.log_metric(run_id, "acc", step + n * 10.0, timestamp=BASE_TS + step, step=step)
    res = api.get(
        "metrics/get-history-bulk-interval",
        params=[("run_ids", runs[0]), ("run_ids", runs[1]), ("metric_key", "acc"), ("max_results", "100")],
    )
    body = assert_ok(res)
    got = sorted((m["run_id"], int(m["step"]), m["value"]) for m in body["metrics"])
    want = sorted((run_id, step, step + n * 10.0) for n, run_id in enumerate(runs) for step in range(5))
    assert got == want
    assert all(m["key"] == "acc" for m in body["metrics"])
