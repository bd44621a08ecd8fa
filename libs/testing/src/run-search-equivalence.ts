import { mlflowApi } from './cairn';

type Api = ReturnType<typeof mlflowApi>;

/** Values JSON escaping must get right: quotes, backslashes, control characters, non-ASCII, HTML. */
const ODD_TEXT = [
  'plain',
  'a "quoted" \\ back\\slash',
  'line\nbreak\ttab\r',
  'ünïcødé ✓ 🚀 日本語',
  'control \u0001\u001f\u007f',
  '</script><!--',
  '',
];

/** Doubles whose shortest text differs between writers (exponents, tiny, huge, inexact sums). */
const DOUBLES = [0, 1, -1.5, 0.1 + 0.2, 1e20, 1e21, 1.5e-7, 123456789.123456, Number.MAX_VALUE, Number.MIN_VALUE, -2.5e-300, 2 ** 53];

/**
 * Runs with every kind of content a Run carries, in experiment
 * `experimentId`: metrics with non-finite and awkward values, negative steps,
 * short and long (> 1000 bytes) params, tags and dataset inputs with odd text,
 * datasets with and without schema and profile, model inputs and outputs,
 * finished, deleted and empty runs. Returns how many runs it made.
 */
export async function seedVariedRuns(api: Api, experimentId: string): Promise<number> {
  const create = async (extra: Record<string, unknown> = {}): Promise<string> => {
    const { run } = await api.ok<{ run: { info: { run_id: string } } }>('POST', 'runs/create', {
      experiment_id: experimentId,
      start_time: 1_700_000_000_000,
      ...extra,
    });
    return run.info.run_id;
  };
  let made = 0;
  for (const [i, text] of ODD_TEXT.entries()) {
    const id = await create({ run_name: `run ${i} ${text}`.trim(), tags: [{ key: 'origin', value: text }] });
    made++;
    const metrics = DOUBLES.map((value, j) => ({ key: `m${j}`, value, timestamp: 1_700_000_000_000 + i, step: j - 3 }));
    metrics.push(
      { key: 'nan', value: 'NaN' as unknown as number, timestamp: 1, step: 0 },
      { key: 'inf', value: 'Infinity' as unknown as number, timestamp: 2, step: 1 },
      { key: 'ninf', value: '-Infinity' as unknown as number, timestamp: 3, step: 2 },
    );
    await api.ok('POST', 'runs/log-batch', {
      run_id: id,
      metrics,
      params: [
        { key: 'short', value: text },
        { key: 'long', value: `${text}|${'x'.repeat(1500 + i)}` },
        { key: 'p.with/slash-and space', value: String(i) },
      ],
      tags: [
        { key: 'note', value: text },
        { key: 'mlflow.note.content', value: `${text}\n`.repeat(3) },
      ],
    });
    const dataset = { name: `ds-${i}`, digest: `d${i}`, source_type: 'local', source: JSON.stringify({ uri: text }) };
    await api.ok('POST', 'runs/log-inputs', {
      run_id: id,
      datasets: [
        { tags: [{ key: 'mlflow.data.context', value: text || 'train' }], dataset: { ...dataset, schema: '{"a": 1}', profile: text } },
        { dataset: { ...dataset, name: `ds-${i}-b` } },
      ],
      models: [{ model_id: `m-in-${i}` }, { model_id: `m-in-${i}-2` }],
    });
    await api.ok('POST', 'runs/outputs', { run_id: id, models: [{ model_id: `m-out-${i}`, step: i * 10 }] });
    if (i % 2 === 1) await api.ok('POST', 'runs/update', { run_id: id, status: 'FINISHED', end_time: 1_700_000_100_000 + i });
    if (i % 3 === 2) await api.ok('POST', 'runs/delete', { run_id: id });
  }
  await create(); // nothing logged
  return made + 1;
}

/**
 * Every run of the experiments as runs/search pages send it (three per page,
 * deleted ones included) and as runs/get sends it, in the same order: the two
 * renderings must be equal once parsed.
 */
export async function searchedAndGotRuns(api: Api, experimentIds: string[]): Promise<{ searched: unknown[]; got: unknown[] }> {
  const searched: { info: { run_id: string } }[] = [];
  let token: string | undefined;
  do {
    const page = await api.ok<{ runs: { info: { run_id: string } }[]; next_page_token?: string }>('POST', 'runs/search', {
      experiment_ids: experimentIds,
      run_view_type: 'ALL',
      max_results: 3,
      ...(token ? { page_token: token } : {}),
    });
    searched.push(...page.runs);
    token = page.next_page_token;
  } while (token);
  const got: unknown[] = [];
  for (const run of searched) got.push((await api.ok<{ run: unknown }>('GET', `runs/get?run_id=${run.info.run_id}`)).run);
  return { searched, got };
}
