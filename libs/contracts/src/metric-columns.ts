import type { MetricColumns } from './generated/cairn/tracking/v1/tracking';

/** A metric as the REST API carries it: step 0 when absent, links optional ("" or absent: none). */
export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  step?: number | undefined;
  model_id?: string | undefined;
  dataset_name?: string | undefined;
  dataset_digest?: string | undefined;
}

const INDEX_BYTES = 4;
const NUMBER_BYTES = 8;

/**
 * Writes a batch of `count` metrics into MetricColumns (see tracking.proto),
 * one metric at a time, without an object per metric: the numbers go
 * straight into the packed little-endian columns, each key into the batch's
 * dictionary. Links are not its business (toMetricColumns adds them).
 */
export class MetricColumnsBuilder {
  private readonly keyIndex = new Map<string, number>();
  private readonly keyNames: string[] = [];
  private readonly indices: Buffer;
  private readonly values: Buffer;
  private readonly timestamps: Buffer;
  private readonly steps: Buffer;
  private added = 0;

  constructor(private readonly count: number) {
    this.indices = Buffer.allocUnsafe(count * INDEX_BYTES);
    this.values = Buffer.allocUnsafe(count * NUMBER_BYTES);
    this.timestamps = Buffer.allocUnsafe(count * NUMBER_BYTES);
    this.steps = Buffer.allocUnsafe(count * NUMBER_BYTES);
  }

  add(key: string, value: number, timestamp: number, step: number): void {
    if (this.added >= this.count) throw new RangeError(`more than the ${this.count} metrics announced`);
    let index = this.keyIndex.get(key);
    if (index === undefined) {
      index = this.keyNames.length;
      this.keyIndex.set(key, index);
      this.keyNames.push(key);
    }
    const i = this.added++;
    this.indices.writeUInt32LE(index, i * INDEX_BYTES);
    this.values.writeDoubleLE(value, i * NUMBER_BYTES);
    this.timestamps.writeDoubleLE(timestamp, i * NUMBER_BYTES);
    this.steps.writeDoubleLE(step, i * NUMBER_BYTES);
  }

  /** The columns (no link columns); every announced metric must have been added. */
  finish(): MetricColumns {
    if (this.added !== this.count) throw new RangeError(`${this.added} of the ${this.count} metrics announced were added`);
    return {
      key_names: this.keyNames,
      key_indices: this.indices,
      values: this.values,
      timestamps: this.timestamps,
      steps: this.steps,
      model_ids: [],
      dataset_names: [],
      dataset_digests: [],
    };
  }
}

/**
 * Metrics as tracking's MetricColumns (the log-batch contract): metric i is
 * element i of every column; a link column stays empty unless some metric has
 * that link.
 */
export function toMetricColumns(metrics: readonly MetricInput[]): MetricColumns {
  const builder = new MetricColumnsBuilder(metrics.length);
  let models = false;
  let names = false;
  let digests = false;
  for (const m of metrics) {
    builder.add(m.key, m.value, m.timestamp, m.step ?? 0);
    models ||= !!m.model_id;
    names ||= !!m.dataset_name;
    digests ||= !!m.dataset_digest;
  }
  return {
    ...builder.finish(),
    model_ids: models ? metrics.map((m) => m.model_id ?? '') : [],
    dataset_names: names ? metrics.map((m) => m.dataset_name ?? '') : [],
    dataset_digests: digests ? metrics.map((m) => m.dataset_digest ?? '') : [],
  };
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads MetricColumns metric by metric (the packed columns are read in
 * place, at any alignment). The constructor checks the columns' shape — each
 * as long as `count` metrics need, every key index within key_names, a link
 * column empty or full — and throws a RangeError otherwise.
 */
export class MetricColumnsReader {
  readonly count: number;
  /** The batch's distinct keys (a metric's key is keyNames[keyIndexAt(i)]). */
  readonly keyNames: readonly string[];
  private readonly indices: DataView;
  private readonly values: DataView;
  private readonly timestamps: DataView;
  private readonly steps: DataView;

  constructor(private readonly columns: MetricColumns) {
    const count = columns.key_indices.byteLength / INDEX_BYTES;
    const links = [columns.model_ids, columns.dataset_names, columns.dataset_digests];
    if (
      !Number.isInteger(count) ||
      [columns.values, columns.timestamps, columns.steps].some((c) => c.byteLength !== count * NUMBER_BYTES) ||
      !links.every((c) => c.length === 0 || c.length === count)
    ) {
      throw new RangeError('every column must hold one element per metric');
    }
    this.count = count;
    this.keyNames = columns.key_names;
    this.indices = view(columns.key_indices);
    this.values = view(columns.values);
    this.timestamps = view(columns.timestamps);
    this.steps = view(columns.steps);
    for (let i = 0; i < count; i++) {
      if (this.indices.getUint32(i * INDEX_BYTES, true) >= this.keyNames.length) throw new RangeError(`metric ${i} has no key`);
    }
  }

  /** Whether some metric has a link (the link columns are then full). */
  get hasLinks(): boolean {
    return this.columns.model_ids.length > 0 || this.columns.dataset_names.length > 0 || this.columns.dataset_digests.length > 0;
  }

  keyIndexAt(i: number): number {
    return this.indices.getUint32(i * INDEX_BYTES, true);
  }

  keyAt(i: number): string {
    return this.keyNames[this.keyIndexAt(i)]!;
  }

  valueAt(i: number): number {
    return this.values.getFloat64(i * NUMBER_BYTES, true);
  }

  timestampAt(i: number): number {
    return this.timestamps.getFloat64(i * NUMBER_BYTES, true);
  }

  stepAt(i: number): number {
    return this.steps.getFloat64(i * NUMBER_BYTES, true);
  }

  /** Metric i's link (null: none). */
  linkAt(column: 'model_ids' | 'dataset_names' | 'dataset_digests', i: number): string | null {
    const links = this.columns[column];
    return links.length === 0 ? null : links[i] || null;
  }

  /** The metrics as objects, a readable copy of the columns (tests; the hot paths read in place). */
  metrics(): MetricInput[] {
    return Array.from({ length: this.count }, (_, i) => ({
      key: this.keyAt(i),
      value: this.valueAt(i),
      timestamp: this.timestampAt(i),
      step: this.stepAt(i),
      model_id: this.linkAt('model_ids', i) ?? undefined,
      dataset_name: this.linkAt('dataset_names', i) ?? undefined,
      dataset_digest: this.linkAt('dataset_digests', i) ?? undefined,
    }));
  }
}
