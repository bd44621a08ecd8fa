import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboxWriter } from '@cairn/events';
import { LOGGER, Logger } from '@cairn/observability';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { RegisteredModelsRepository } from '../repositories/registered-models.repository';
import { ModelSources, Verdict, VerificationPlan } from './model-sources.service';

const SWEEP_EVERY_MS = 3000;
const BATCH = 20;
/** A registration still unconfirmed after this long fails. */
export const PENDING_TIMEOUT_MS = 30 * 60 * 1000;

/**
 * Settles registrations left PENDING_REGISTRATION at creation (a logged model
 * not finalized yet, tracking or artifacts unreachable): re-checks them every
 * few seconds and moves them to READY or FAILED_REGISTRATION. Any replica may
 * do it: the update only applies while the version is still pending.
 */
@Injectable()
export class RegistrationSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly models: RegisteredModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly sources: ModelSources,
    private readonly outbox: OutboxWriter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'registration sweep failed'))
        .finally(() => (this.running = undefined));
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the pending registrations; returns how many were settled. */
  async sweep(now = Date.now()): Promise<number> {
    let settled = 0;
    for (const row of await this.versions.pending(now - 1000, BATCH)) {
      let verdict = await this.sources.verify(planFor(row));
      if (verdict.status === 'PENDING_REGISTRATION') {
        if (now - Number(row.creation_time) < PENDING_TIMEOUT_MS) continue;
        verdict = { status: 'FAILED_REGISTRATION', message: `Registration not confirmed within ${PENDING_TIMEOUT_MS / 60000} minutes: ${verdict.message ?? ''}`.trim() };
      }
      if (await this.settle(row, verdict)) settled += 1;
    }
    return settled;
  }

  private settle(row: ModelVersionEntity, verdict: Verdict): Promise<boolean> {
    const status = verdict.status === 'READY' ? 'READY' : 'FAILED_REGISTRATION';
    return this.dataSource.transaction(async (manager) => {
      // The model's row first, as every registry write: the search elements' triggers lock it
      // after the version's row, and the other order would let this deadlock with a transition.
      if (!(await this.models.lockByKey(manager, Number(row.model_key)))) return false;
      const changed = await this.versions.settleStatus(
        manager,
        Number(row.model_key),
        Number(row.version),
        status,
        verdict.message,
        Date.now(),
      );
      if (changed) {
        await this.outbox.append(manager, 'cairn.registry.model_version.status_changed.v1', row.name, {
          name: row.name,
          version: String(row.version),
          status,
          status_message: verdict.message,
        });
      }
      return changed;
    });
  }
}

function planFor(row: ModelVersionEntity): VerificationPlan {
  const uri = row.storage_location ?? row.source;
  if (row.model_id) return { kind: 'logged-model', modelId: row.model_id, uri };
  return { kind: 'files', uri };
}
