import { toMetricColumns } from './metric-columns';

describe('toMetricColumns', () => {
  it('puts metric i at element i of every column, step 0 when absent, no link columns without links', () => {
    expect(
      toMetricColumns([
        { key: 'a', value: 1.5, timestamp: 10, step: 3 },
        { key: 'b', value: Number.NaN, timestamp: 11 },
      ]),
    ).toEqual({
      keys: ['a', 'b'],
      values: [1.5, Number.NaN],
      timestamps: [10, 11],
      steps: [3, 0],
      model_ids: [],
      dataset_names: [],
      dataset_digests: [],
    });
  });

  it('fills a link column for every metric once one metric has that link ("" for none)', () => {
    const columns = toMetricColumns([
      { key: 'a', value: 1, timestamp: 1, model_id: 'm-1' },
      { key: 'b', value: 2, timestamp: 1, dataset_name: '', dataset_digest: 'd' },
      { key: 'c', value: 3, timestamp: 1 },
    ]);
    expect(columns.model_ids).toEqual(['m-1', '', '']);
    expect(columns.dataset_names).toEqual([]);
    expect(columns.dataset_digests).toEqual(['', 'd', '']);
  });
});
