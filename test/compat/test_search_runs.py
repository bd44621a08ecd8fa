"""search_runs: filters on metrics/params/tags/attributes, order_by, and paging past 1000 runs."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import mlflow
import pytest
from helpers import raises_mlflow
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

T0 = 1_650_000_000_000


@dataclass
class Fixture:
    experiment_id: str
    prefix: str
    ids: dict[str, str]  # r1..r4 -> run id

    def names(self, *keys: str) -> list[str]:
        return [self.ids[k] for k in keys]


@pytest.fixture
def four_runs(client: MlflowClient, uniq) -> Fixture:
    """r1..r4 with distinct metrics, params, tags, names, start times and statuses."""
    exp = client.create_experiment(uniq("search"))
    prefix = uniq("sr")
    spec = {
        "r1": dict(name="alpha-1", start=T0 + 1000, status="FINISHED",
                   params={"model": "linear", "lr": "0.1"}, metrics={"acc": 0.7, "loss": 0.5},
                   tags={"team": "red", "with space": "x"}),
        "r2": dict(name="alpha-2", start=T0 + 2000, status="FAILED",
                   params={"model": "tree", "lr": "0.01"}, metrics={"acc": 0.9, "loss": 0.3},
                   tags={"team": "blue"}),
        "r3": dict(name="beta-1", start=T0 + 3000, status="RUNNING",
                   params={"model": "tree"}, metrics={"acc": 0.8}, tags={"team": "red"}),
        "r4": dict(name="beta-2", start=T0 + 4000, status="KILLED", params={}, metrics={}, tags={}),
    }
    ids = {}
    for key, s in spec.items():
        run = client.create_run(exp, start_time=s["start"], run_name=f"{prefix}-{s['name']}")
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, T0, 0) for k, v in s["metrics"].items()],
            params=[Param(k, v) for k, v in s["params"].items()],
            tags=[RunTag(k, v) for k, v in s["tags"].items()],
        )
        if s["status"] != "RUNNING":
            client.set_terminated(run_id, status=s["status"], end_time=s["start"] + 500)
        ids[key] = run_id
    return Fixture(exp, prefix, ids)


def _search(client: MlflowClient, fx: Fixture, filter_string: str = "", order_by=None) -> list[str]:
    runs = client.search_runs([fx.experiment_id], filter_string=filter_string, order_by=order_by)
    inv = {v: k for k, v in fx.ids.items()}
    return [inv.get(r.info.run_id, r.info.run_id) for r in runs]


FILTERS = [
    ("metrics.acc > 0.75", {"r2", "r3"}),
    ("metrics.acc >= 0.8 AND metrics.loss < 0.4", {"r2"}),
    ("metrics.acc = 0.7", {"r1"}),
    ("metrics.acc != 0.7", {"r2", "r3"}),
    ("metrics.`acc` <= 0.8", {"r1", "r3"}),
    ("metric.loss > 0", {"r1", "r2"}),
    ("params.model = 'tree'", {"r2", "r3"}),
    ("params.model != 'tree'", {"r1"}),
    ("params.model LIKE 'li%'", {"r1"}),
    ("params.model ILIKE 'TREE'", {"r2", "r3"}),
    ("param.lr = '0.01'", {"r2"}),
    ("tags.team = 'red'", {"r1", "r3"}),
    ("tags.team != 'red'", {"r2"}),
    ("tags.team LIKE 'bl%'", {"r2"}),
    ("tags.`with space` = 'x'", {"r1"}),
    ('tags."with space" = \'x\'', {"r1"}),
    ("params.model = 'tree' AND tags.team = 'red'", {"r3"}),
    ("tags.team IS NULL", {"r4"}),
    ("params.lr IS NOT NULL", {"r1", "r2"}),
    ("attributes.status = 'FINISHED'", {"r1"}),
    ("attributes.status != 'RUNNING'", {"r1", "r2", "r4"}),
    (f"attributes.start_time > {T0 + 2500}", {"r3", "r4"}),
    (f"attributes.start_time >= {T0 + 2000} AND attributes.start_time < {T0 + 4000}", {"r2", "r3"}),
    (f"attributes.end_time <= {T0 + 2500}", {"r1", "r2"}),
    ("", {"r1", "r2", "r3", "r4"}),
]


@pytest.mark.parametrize(("filter_string", "expected"), FILTERS, ids=[f or "<empty>" for f, _ in FILTERS])
def test_filters(client: MlflowClient, four_runs: Fixture, filter_string: str, expected: set[str]):
    assert set(_search(client, four_runs, filter_string)) == expected


def test_filters_on_run_name_and_run_id(client: MlflowClient, four_runs: Fixture):
    p = four_runs.prefix
    assert set(_search(client, four_runs, f"attributes.run_name = '{p}-alpha-1'")) == {"r1"}
    assert set(_search(client, four_runs, f"run_name LIKE '{p}-alpha%'")) == {"r1", "r2"}
    assert set(_search(client, four_runs, f"attributes.run_name ILIKE '{p.upper()}-BETA%'")) == {"r3", "r4"}
    assert set(_search(client, four_runs, f"tags.mlflow.runName = '{p}-beta-2'")) == {"r4"}
    r1, r4 = four_runs.ids["r1"], four_runs.ids["r4"]
    assert set(_search(client, four_runs, f"attributes.run_id IN ('{r1}', '{r4}')")) == {"r1", "r4"}
    assert set(_search(client, four_runs, f"attributes.run_id = '{r1}'")) == {"r1"}
    assert set(_search(client, four_runs, f"attributes.run_id NOT IN ('{r1}', '{r4}')")) == {"r2", "r3"}


ORDERS = [
    (None, ["r4", "r3", "r2", "r1"]),  # default: start_time DESC
    (["attributes.start_time ASC"], ["r1", "r2", "r3", "r4"]),
    (["metrics.acc DESC"], ["r2", "r3", "r1", "r4"]),  # runs without the metric come last
    (["metrics.acc ASC"], ["r1", "r3", "r2", "r4"]),
    (["metrics.acc"], ["r1", "r3", "r2", "r4"]),
    (["params.model ASC"], ["r1", "r3", "r2", "r4"]),  # ties: start_time DESC
    (["tags.team ASC"], ["r2", "r3", "r1", "r4"]),
    (["attributes.run_name DESC"], ["r4", "r3", "r2", "r1"]),
    (["params.model DESC", "metrics.acc ASC"], ["r3", "r2", "r1", "r4"]),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDERS, ids=[" ".join(o or ["<default>"]) for o, _ in ORDERS])
def test_order_by(client: MlflowClient, four_runs: Fixture, order_by, expected):
    assert _search(client, four_runs, order_by=order_by) == expected


@pytest.mark.parametrize(
    "bad_filter",
    [
        "metrics.acc >",
        "nonsense.acc = 1",
        "metrics.acc > 0.5 OR metrics.acc < 0.1",
        "params.model > 'a'",
        "attributes.status > 'A'",
        "attributes.status IN ('FAILED', 'KILLED')",  # MLflow: only run_id takes IN / NOT IN
        "metrics.acc = 'high'",
    ],
)
def test_invalid_filter_is_invalid_parameter_value(client: MlflowClient, four_runs: Fixture, bad_filter: str):
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.search_runs([four_runs.experiment_id], filter_string=bad_filter)


def test_search_across_experiments(client: MlflowClient, uniq):
    a = client.create_experiment(uniq("multi-a"))
    b = client.create_experiment(uniq("multi-b"))
    ra = client.create_run(a).info.run_id
    rb = client.create_run(b).info.run_id
    got = client.search_runs([a, b])
    assert sorted(r.info.run_id for r in got) == sorted([ra, rb])


def test_fluent_search_runs_pandas_and_list(four_runs: Fixture):
    df = mlflow.search_runs(experiment_ids=[four_runs.experiment_id], order_by=["attributes.start_time ASC"])
    assert list(df["run_id"]) == four_runs.names("r1", "r2", "r3", "r4")
    assert list(df["status"]) == ["FINISHED", "FAILED", "RUNNING", "KILLED"]
    assert df.loc[0, "metrics.acc"] == 0.7
    assert df.loc[1, "params.model"] == "tree"
    assert df.loc[0, "tags.team"] == "red"
    assert df.loc[2, "tags.mlflow.runName"] == f"{four_runs.prefix}-beta-1"
    assert "start_time" in df.columns and "experiment_id" in df.columns

    runs = mlflow.search_runs(
        experiment_ids=[four_runs.experiment_id], filter_string="metrics.acc > 0.75", output_format="list"
    )
    assert sorted(r.info.run_id for r in runs) == sorted(four_runs.names("r2", "r3"))


# ---- paging over more than 1000 runs --------------------------------------------------------

BULK = 1050


@pytest.fixture(scope="module")
def bulk_experiment(cairn, request) -> tuple[str, list[str]]:
    """BULK runs in one fresh experiment, each made with create_run + one log_batch.
    Run i has start_time T0+i, metric idx=i and param parity=even/odd. Returns (exp id, run ids by i)."""
    client = MlflowClient(tracking_uri=cairn.url)
    exp = client.create_experiment(f"bulk-{time.time_ns()}")

    def make(i: int) -> str:
        run = client.create_run(exp, start_time=T0 + i, run_name=f"bulk-{i:04d}")
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("idx", float(i), T0, 0)],
            params=[Param("parity", "even" if i % 2 == 0 else "odd")],
        )
        return run.info.run_id

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(make, range(BULK)))
    print(f"\n[compat] {BULK} runs created in {time.monotonic() - started:.1f} s ({cairn.mode})")
    return exp, ids


def _pages(client: MlflowClient, exp: str, max_results: int, **kw) -> tuple[list[str], int]:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = client.search_runs([exp], max_results=max_results, page_token=token, **kw)
        pages += 1
        assert len(page) <= max_results
        seen.extend(r.info.run_id for r in page)
        token = page.token
        if not token:
            return seen, pages
        assert pages <= BULK, "paging does not terminate"


def test_paging_default_order(client: MlflowClient, bulk_experiment):
    exp, ids = bulk_experiment
    seen, pages = _pages(client, exp, 400)
    assert len(seen) == len(set(seen)) == BULK
    assert seen == list(reversed(ids))  # start_time DESC
    assert pages == 3


def test_paging_default_page_size(client: MlflowClient, bulk_experiment):
    exp, ids = bulk_experiment
    first = client.search_runs([exp])  # max_results defaults to 1000
    assert len(first) == 1000
    assert first.token
    rest = client.search_runs([exp], page_token=first.token)
    assert len(rest) == BULK - 1000
    assert not rest.token
    assert {r.info.run_id for r in first} | {r.info.run_id for r in rest} == set(ids)


def test_paging_ordered_by_metric(client: MlflowClient, bulk_experiment):
    exp, ids = bulk_experiment
    seen, _ = _pages(client, exp, 300, order_by=["metrics.idx ASC"])
    assert seen == ids


def test_paging_with_filter(client: MlflowClient, bulk_experiment):
    exp, ids = bulk_experiment
    seen, pages = _pages(client, exp, 200, filter_string="params.parity = 'even'", order_by=["attributes.start_time ASC"])
    assert seen == ids[0::2]
    assert pages == 3


def test_fluent_search_runs_returns_every_run(bulk_experiment):
    exp, ids = bulk_experiment
    df = mlflow.search_runs(experiment_ids=[exp])
    assert len(df) == BULK
    assert set(df["run_id"]) == set(ids)
    assert sorted(df["metrics.idx"].astype(int)) == list(range(BULK))
