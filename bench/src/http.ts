import { Agent, request } from 'undici';

/**
 * A tiny MLflow REST client over undici's `request` (keep-alive): the HTTP
 * client of Node's own fetch without fetch's WHATWG layer (Request/Response
 * objects, body streams), which cost the load generator about as much CPU
 * per log-batch as the gateway's JSON parsing. Every call is bounded by a
 * timeout; errors carry the status and the start of the body so a failing
 * phase says why.
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
  private readonly dispatcher: Agent;

  constructor(
    readonly name: string,
    readonly base: string,
    timeoutMs = 60_000,
  ) {
    this.dispatcher = new Agent({ keepAliveTimeout: 60_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  url(path: string): string {
    return `${this.base}/api/2.0/mlflow/${path}`;
  }

  async post<T>(path: string, body: unknown): Promise<Timed<T>> {
    return this.send<T>(path, 'POST', typeof body === 'string' ? body : JSON.stringify(body));
  }

  async get<T>(path: string, query: Record<string, string | string[] | number>): Promise<Timed<T>> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
    }
    return this.send<T>(`${path}?${qs.toString()}`, 'GET');
  }

  private async send<T>(path: string, method: 'GET' | 'POST', body?: string): Promise<Timed<T>> {
    const started = performance.now();
    const res = await request(this.url(path), {
      method,
      dispatcher: this.dispatcher,
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.body.text();
    const ms = performance.now() - started;
    if (res.statusCode < 200 || res.statusCode > 299) throw new HttpError(res.statusCode, text, `${this.name} ${method} ${path.split('?')[0]}`);
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
