/**
 * A tiny MLflow REST client over Node's built-in fetch (undici, keep-alive by
 * default). Every call is bounded by a timeout; errors carry the status and
 * the start of the body so a failing phase says why.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} → HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

export interface Timed<T> {
  ms: number;
  value: T;
}

export class MlflowApi {
  constructor(
    readonly name: string,
    readonly base: string,
    private readonly timeoutMs = 60_000,
  ) {}

  url(path: string): string {
    return `${this.base}/api/2.0/mlflow/${path}`;
  }

  async post<T>(path: string, body: unknown): Promise<Timed<T>> {
    return this.send<T>(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async get<T>(path: string, query: Record<string, string | string[] | number>): Promise<Timed<T>> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
    }
    return this.send<T>(`${path}?${qs.toString()}`, { method: 'GET' });
  }

  private async send<T>(path: string, init: RequestInit): Promise<Timed<T>> {
    const started = performance.now();
    const res = await fetch(this.url(path), { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await res.text();
    const ms = performance.now() - started;
    if (!res.ok) throw new HttpError(res.status, text, `${this.name} ${init.method ?? 'GET'} ${path.split('?')[0]}`);
    return { ms, value: JSON.parse(text) as T };
  }

  async createExperiment(name: string): Promise<string> {
    const { value } = await this.post<{ experiment_id: string }>('experiments/create', { name });
    return value.experiment_id;
  }

  async createRun(experimentId: string, runName: string): Promise<string> {
    const { value } = await this.post<{ run: { info: { run_id: string } } }>('runs/create', {
      experiment_id: experimentId,
      run_name: runName,
      start_time: Date.now(),
    });
    return value.run.info.run_id;
  }
}
