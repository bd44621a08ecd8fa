import { CairnError, MetricColumnsReader, toMetricColumns } from '@cairn/contracts';
import { parseRequest } from '../http/request-parsing';
import { canonicalMetricColumns, logBatchBody, logBatchRequest, runIdOf } from './runs.dto';

/** What parseRequest answers: the message, or the error's code and wording. */
function outcome(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (err) {
    if (!(err instanceof CairnError)) throw err;
    return { code: err.code, message: err.message };
  }
}

/** Deterministic pseudo-random numbers (a linear congruential generator). */
function randomSource(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Field values in every form a client may send: canonical JSON, protobuf JSON strings, and wrong ones. */
const VALUES: unknown[] = [
  0, -0, 1, -7, 1.5, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1e300, '12', ' 12 ', '-3', '1.5', 'NaN', 'Infinity', '-Infinity', 'x', '',
  null, true, [], {}, undefined,
];

describe('log-batch canonical fast path', () => {
  const random = randomSource(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const metric = (): Record<string, unknown> => {
    const m: Record<string, unknown> = { key: random() < 0.95 ? `m${Math.floor(random() * 5)}` : pick(VALUES) };
    for (const field of ['value', 'timestamp', 'step']) {
      const v = random() < 0.8 ? Math.floor(random() * 1000) * (random() < 0.5 ? 1 : 0.25) : pick(VALUES);
      if (v !== undefined) m[field] = v;
    }
    if (random() < 0.2) m.model_id = random() < 0.9 ? 'm-1' : pick(VALUES);
    if (random() < 0.1) m.extra = 'ignored';
    return m;
  };
  const batch = (): Record<string, unknown> => ({
    run_id: random() < 0.95 ? 'r1' : pick(VALUES),
    metrics: Array.from({ length: Math.floor(random() * 4) }, metric),
    ...(random() < 0.3 ? { params: [{ key: 'p', value: random() < 0.9 ? 'v' : pick(VALUES) }] } : {}),
    ...(random() < 0.3 ? { tags: [{ key: 't' }] } : {}),
  });

  /** The request as the full schema alone makes it. */
  const reference = (input: Record<string, unknown>) => {
    const request = parseRequest(logBatchBody, input);
    return { run_id: runIdOf(request), metrics: toMetricColumns(request.metrics ?? []), params: request.params ?? [], tags: request.tags ?? [] };
  };

  it('answers every message exactly as the full schema does', () => {
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const input = batch();
      if (canonicalMetricColumns(input.metrics) !== null) fast++;
      expect(outcome(() => logBatchRequest(input))).toEqual(outcome(() => reference(input)));
    }
    // Both paths were taken.
    expect(fast).toBeGreaterThan(300);
    expect(fast).toBeLessThan(2700);
  });

  it('leaves protobuf JSON forms and out-of-range numbers to the full schema', () => {
    const refused = [
      { value: 'NaN', timestamp: 1 },
      { value: 1, timestamp: '5' },
      { value: 1, timestamp: 2 ** 53 },
      { value: 1, timestamp: 1, step: 0.5 },
      { value: 1, timestamp: 1, step: null },
      { value: Number.POSITIVE_INFINITY, timestamp: 1 },
      { value: 1, timestamp: 1, model_id: 5 },
    ];
    for (const m of refused) expect(canonicalMetricColumns([{ key: 'k', ...m }])).toBeNull();
    expect(canonicalMetricColumns(null)).toBeNull();
    const slow = logBatchRequest({ run_id: 'r', metrics: [{ key: 'k', value: 'NaN', timestamp: '5' }] }).metrics!;
    expect(new MetricColumnsReader(slow).metrics()).toEqual([{ key: 'k', value: Number.NaN, timestamp: 5, step: 0 }]);
  });

  it('keeps links in their columns ("" where a metric has none)', () => {
    const metrics = [
      { key: 'a', value: 1, timestamp: 2, model_id: 'm-1' },
      { key: 'b', value: 3, timestamp: 4, step: 5, dataset_name: 'd' },
    ];
    const columns = canonicalMetricColumns(metrics)!;
    expect(new MetricColumnsReader(columns).metrics()).toEqual([
      { key: 'a', value: 1, timestamp: 2, step: 0, model_id: 'm-1' },
      { key: 'b', value: 3, timestamp: 4, step: 5, dataset_name: 'd' },
    ]);
    expect([columns.model_ids, columns.dataset_names, columns.dataset_digests]).toEqual([['m-1', ''], ['', 'd'], []]);
  });
});
