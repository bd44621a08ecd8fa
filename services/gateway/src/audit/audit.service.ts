import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import { LOGGER, Logger } from '@cairn/observability';
import { AuditEntry, AuditRepository, AuditRow } from '../repositories/audit.repository';

const FLUSH_MS = 100;
const MAX_BATCH = 500;
const MAX_PAGE = 1000;

export interface JsonAuditEntry {
  id: string;
  timestamp: number;
  user: string;
  auth_method: string;
  action: string;
  method: string;
  route: string;
  target?: string;
  source_address?: string;
  request_id?: string;
  status: number;
}

export interface AuditSearch {
  user?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
  start_time?: number | undefined;
  end_time?: number | undefined;
  max_results?: number | undefined;
  page_token?: string | undefined;
}

/**
 * Records every mutating call. Entries are queued as responses are sent and
 * written in batches (group commit every 100 ms, at 500 entries, before any
 * read of the log, and at shutdown): at most that window is lost if the
 * process dies, and audit never sits on the hot path of log-batch.
 */
@Injectable()
export class AuditService implements OnApplicationShutdown {
  private queue: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: AuditRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  record(entry: AuditEntry): void {
    this.queue.push(entry);
    if (this.queue.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes everything queued so far (serialised: batches stay in order). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.repository.append(batch);
      } catch (err) {
        this.logger.error({ err: (err as Error).message, entries: batch.length }, 'audit log write failed');
      }
    });
    return this.flushing;
  }

  async search(q: AuditSearch): Promise<{ entries: JsonAuditEntry[]; next_page_token?: string }> {
    await this.flush();
    const limit = q.max_results ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw CairnError.invalidParameter(`max_results must be between 1 and ${MAX_PAGE}`);
    }
    let beforeId: number | undefined;
    if (q.page_token) {
      beforeId = Number(Buffer.from(q.page_token, 'base64url').toString('utf8'));
      if (!Number.isSafeInteger(beforeId)) throw CairnError.invalidParameter('Invalid page_token');
    }
    const rows = await this.repository.search({
      username: q.user,
      action: q.action,
      target: q.target,
      from: q.start_time !== undefined ? new Date(q.start_time) : undefined,
      to: q.end_time !== undefined ? new Date(q.end_time) : undefined,
      beforeId,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const entries = page.map(toJson);
    const last = page[page.length - 1];
    return rows.length > limit && last ? { entries, next_page_token: Buffer.from(String(last.id)).toString('base64url') } : { entries };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}

function toJson(r: AuditRow): JsonAuditEntry {
  return {
    id: String(r.id),
    timestamp: new Date(r.at).getTime(),
    user: r.username,
    auth_method: r.auth_method,
    action: `${r.method} ${r.route}`,
    method: r.method,
    route: r.route,
    ...(r.target !== null ? { target: r.target } : {}),
    ...(r.source_address !== null ? { source_address: r.source_address } : {}),
    ...(r.request_id !== null ? { request_id: r.request_id } : {}),
    status: r.status,
  };
}
