#!/usr/bin/env bash
# Model-registry search benchmark: search_registered_models / search_model_versions
# with three tag filters, Cairn (distributed) vs MLflow's own server, side by side
# on the same local PostgreSQL — bench/run.sh's lifecycle with bench/src/registry.ts.
#   bash bench/registry.sh
# Knobs: BENCH_REG_MODELS=10000 BENCH_REG_VERSIONS=10 BENCH_REG_REQUESTS=1000 BENCH_REG_WARMUP=200 BENCH_REG_WARMUP_SECONDS=10
#   BENCH_REG_ROUNDS=10 BENCH_REG_BLOCK_WARMUP=20 BENCH_REG_BLOCK_WARMUP_SECONDS=3 (timed requests in alternating blocks,
#   each after untimed ones; ROUNDS=1: one system after the other)
#   BENCH_REG_MAX_SECONDS=420 (per query and system, warm-ups included)  BENCH_REG_MODEL_FILTER / BENCH_REG_VERSION_FILTER
#   and bench/run.sh's own (BENCH_MLFLOW_WORKERS, BENCH_DIST, BENCH_KEEP_DBS, BENCH_BUDGET_SECONDS).
BENCH_SUITE=registry exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" "$@"
