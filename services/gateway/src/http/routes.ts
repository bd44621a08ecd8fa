/** MLflow serves every REST endpoint under both prefixes (the web UI uses the second). */
export const MLFLOW_PREFIXES = ['api/2.0/mlflow', 'ajax-api/2.0/mlflow'];

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/**
 * MLflow endpoints Cairn knows but has not built yet: each answers 501
 * NOT_IMPLEMENTED (listed in the README). Paths are relative to the prefixes.
 */
export const NOT_BUILT_YET: [Method, string][] = [
  ['POST', 'runs/log-model'],
];

/** Whole paths not built yet, outside the MLflow prefixes. */
export const NOT_BUILT_YET_ABSOLUTE: [Method, string][] = [];
