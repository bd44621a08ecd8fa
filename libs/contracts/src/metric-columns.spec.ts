import { MetricColumnsBuilder, MetricColumnsReader, toMetricColumns } from './metric-columns';

describe('toMetricColumns / MetricColumnsReader', () => {
  it('puts metric i at element i of every column, keys once each, step 0 when absent, no link columns without links', () => {
    const columns = toMetricColumns([
      { key: 'a', value: 1.5, timestamp: 10, step: 3 },
      { key: 'b', value: Number.NaN, timestamp: 11 },
      { key: 'a', value: -0, timestamp: 2 ** 53 - 1, step: -(2 ** 53 - 1) },
    ]);
    expect(columns.key_names).toEqual(['a', 'b']);
    expect(Buffer.from(columns.key_indices)).toEqual(Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]));
    expect([columns.values, columns.timestamps, columns.steps].map((c) => c.byteLength)).toEqual([24, 24, 24]);
    expect([columns.model_ids, columns.dataset_names, columns.dataset_digests]).toEqual([[], [], []]);
    const reader = new MetricColumnsReader(columns);
    expect(reader.count).toBe(3);
    expect(reader.hasLinks).toBe(false);
    expect(reader.metrics()).toEqual([
      { key: 'a', value: 1.5, timestamp: 10, step: 3 },
      { key: 'b', value: Number.NaN, timestamp: 11, step: 0 },
      { key: 'a', value: -0, timestamp: 2 ** 53 - 1, step: -(2 ** 53 - 1) },
    ]);
    expect(Object.is(reader.valueAt(2), -0)).toBe(true);
  });

  it('reads columns at any byte offset (as a decoder slices them out of a message)', () => {
    const columns = toMetricColumns([{ key: 'k', value: Math.PI, timestamp: 7, step: 9 }]);
    const shifted = (bytes: Uint8Array) => {
      const buf = Buffer.alloc(bytes.byteLength + 3);
      buf.set(bytes, 3);
      return buf.subarray(3);
    };
    const reader = new MetricColumnsReader({
      ...columns,
      key_indices: shifted(columns.key_indices),
      values: shifted(columns.values),
      timestamps: shifted(columns.timestamps),
      steps: shifted(columns.steps),
    });
    expect(reader.metrics()).toEqual([{ key: 'k', value: Math.PI, timestamp: 7, step: 9 }]);
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
    const reader = new MetricColumnsReader(columns);
    expect(reader.hasLinks).toBe(true);
    expect([0, 1, 2].map((i) => [reader.linkAt('model_ids', i), reader.linkAt('dataset_names', i), reader.linkAt('dataset_digests', i)])).toEqual([
      ['m-1', null, null],
      [null, null, 'd'],
      [null, null, null],
    ]);
  });

  it('refuses columns of the wrong shape', () => {
    const columns = toMetricColumns([
      { key: 'a', value: 1, timestamp: 1 },
      { key: 'b', value: 2, timestamp: 1 },
    ]);
    for (const broken of [
      { ...columns, key_indices: new Uint8Array(7) },
      { ...columns, values: new Uint8Array(8) },
      { ...columns, steps: new Uint8Array(24) },
      { ...columns, dataset_names: ['x'] },
      { ...columns, key_names: ['a'] },
    ]) {
      expect(() => new MetricColumnsReader(broken)).toThrow(RangeError);
    }
  });

  it('builds exactly the metrics it announced', () => {
    const builder = new MetricColumnsBuilder(1);
    expect(() => builder.finish()).toThrow(RangeError);
    builder.add('k', 1, 2, 3);
    expect(() => builder.add('k', 1, 2, 3)).toThrow(RangeError);
    expect(new MetricColumnsReader(builder.finish()).metrics()).toEqual([{ key: 'k', value: 1, timestamp: 2, step: 3 }]);
  });
});
