import { Controller, Get, Query } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import { AuditService, JsonAuditEntry } from '../audit/audit.service';

type Json = Record<string, unknown>;
const text = (v: unknown): string | undefined => {
  const value = Array.isArray(v) ? (v as unknown[])[0] : v;
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const millis = (v: unknown, what: string): number | undefined => {
  const value = text(v);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw CairnError.invalidParameter(`Invalid value '${value}' for '${what}': expected milliseconds since the epoch`);
  return n;
};

/** The audit log (admins): newest first, filtered by user, action, target and time range, paged. */
@Controller('api/2.0/cairn/audit-log')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  search(@Query() query: Json): Promise<{ entries: JsonAuditEntry[]; next_page_token?: string }> {
    return this.audit.search({
      user: text(query.user),
      action: text(query.action),
      target: text(query.target),
      start_time: millis(query.start_time, 'start_time'),
      end_time: millis(query.end_time, 'end_time'),
      max_results: millis(query.max_results, 'max_results'),
      page_token: text(query.page_token),
    });
  }
}
