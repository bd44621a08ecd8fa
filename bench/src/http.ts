import * as http from 'node:http';

/**
 * A tiny MLflow REST client over node:http with keep-alive connections.
 * Every call is bounded by a timeout; errors carry the status and the start
 * of the body so a failing phase says why.
 *
 * The load generator shares the machine's cores with the server under test,
 * so it is kept light: at Cairn's ingest rate, fetch (undici) cost the client
 * ~1.5 ms of CPU per 1000-metric request (`/usr/bin/time` around the ingest
 * phase), a tenth of the machine taken from the server; node:http costs less
 * than half of that. Both systems are driven by the same client.
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
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(
    readonly name: string,
    readonly base: string,
    private readonly timeoutMs = 60_000,
  ) {
    if (!base.startsWith('http://')) throw new Error(`bench client: plain http:// only, got ${base}`);
  }

  url(path: string): string {
    return `${this.base}/api/2.0/mlflow/${path}`;
  }

  async post<T>(path: string, body: unknown): Promise<Timed<T>> {
    return this.send<T>('POST', path, typeof body === 'string' ? body : JSON.stringify(body));
  }

  async get<T>(path: string, query: Record<string, string | string[] | number>): Promise<Timed<T>> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
    }
    return this.send<T>('GET', `${path}?${qs.toString()}`);
  }

  private send<T>(method: 'GET' | 'POST', path: string, body?: string): Promise<Timed<T>> {
    const started = performance.now();
    const headers: http.OutgoingHttpHeaders =
      body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    return new Promise<Timed<T>>((resolve, reject) => {
      const req = http.request(this.url(path), { method, headers, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const ms = performance.now() - started;
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(new HttpError(status, text, `${this.name} ${method} ${path.split('?')[0]}`));
            return;
          }
          try {
            resolve({ ms, value: JSON.parse(text) as T });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${this.name} ${method} ${path.split('?')[0]}: no answer in ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
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
