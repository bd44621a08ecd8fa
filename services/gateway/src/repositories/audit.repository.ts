import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface AuditEntry {
  at: Date;
  username: string;
  authMethod: string;
  method: string;
  route: string;
  target: string | null;
  sourceAddress: string | null;
  requestId: string | null;
  status: number;
}

export interface AuditRow {
  id: number;
  at: Date;
  username: string;
  auth_method: string;
  method: string;
  route: string;
  target: string | null;
  source_address: string | null;
  request_id: string | null;
  status: number;
}

export interface AuditQuery {
  username?: string | undefined;
  /** Matches `<METHOD> <route>` by substring (e.g. "runs/create" or "DELETE "). */
  action?: string | undefined;
  /** Substring of the target. */
  target?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset paging: entries with a smaller id. */
  beforeId?: number | undefined;
  limit: number;
}

/** The append-only audit log: INSERT and SELECT only (a trigger refuses anything else). */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: DataSource) {}

  async append(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const values: unknown[] = [];
    const rows = entries.map((e, i) => {
      values.push(e.at, e.username, e.authMethod, e.method, e.route, e.target, e.sourceAddress, e.requestId, e.status);
      const b = i * 9;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, $${b + 9})`;
    });
    await this.db.query(
      `INSERT INTO gateway.audit_log (at, username, auth_method, method, route, target, source_address, request_id, status)
       VALUES ${rows.join(', ')}`,
      values,
    );
  }

  /** Newest first. */
  async search(q: AuditQuery): Promise<AuditRow[]> {
    return this.db.query<AuditRow[]>(
      `SELECT id, at, username, auth_method, method, route, target, source_address, request_id, status
       FROM gateway.audit_log
       WHERE ($1::text IS NULL OR username = $1)
         AND ($2::text IS NULL OR strpos(method || ' ' || route, $2) > 0)
         AND ($3::text IS NULL OR strpos(coalesce(target, ''), $3) > 0)
         AND ($4::timestamptz IS NULL OR at >= $4)
         AND ($5::timestamptz IS NULL OR at < $5)
         AND ($6::bigint IS NULL OR id < $6)
       ORDER BY id DESC LIMIT $7`,
      [q.username ?? null, q.action ?? null, q.target ?? null, q.from ?? null, q.to ?? null, q.beforeId ?? null, q.limit],
    );
  }
}
