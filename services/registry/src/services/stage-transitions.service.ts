import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OutboxWriter } from '@cairn/events';
import { ActivityEntity } from '../entities/activity.entity';
import { ModelVersionEntity, Stage } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { ActivitiesRepository } from '../repositories/activities.repository';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { RegisteredModelsRepository } from '../repositories/registered-models.repository';

export interface TransitionInput {
  model: RegisteredModelEntity;
  version: ModelVersionEntity;
  toStage: Stage;
  archiveExisting: boolean;
  actor: string;
  comment: string | null;
  /** A direct transition records APPLIED_TRANSITION; an approval records APPROVED_REQUEST. */
  via: 'transition' | 'approved_request';
  now: number;
}

export interface TransitionResult {
  fromStage: Stage;
  archived: { version: number; fromStage: Stage }[];
  /** The APPLIED_TRANSITION or APPROVED_REQUEST activity. */
  activity: ActivityEntity;
}

/**
 * The one place a version changes stage. The caller holds the model row lock
 * (SELECT ... FOR UPDATE) for the whole transaction, so two transitions of one
 * model never interleave: with archive_existing_versions, exactly one version
 * ends up in the target stage.
 */
@Injectable()
export class StageTransitions {
  constructor(
    private readonly models: RegisteredModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly activities: ActivitiesRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async apply(manager: EntityManager, input: TransitionInput): Promise<TransitionResult> {
    const { model, version, toStage, actor, now } = input;
    const modelKey = Number(model.model_key);
    const versionNumber = Number(version.version);
    const fromStage = version.current_stage;

    const archived: { version: number; fromStage: Stage }[] = [];
    if (input.archiveExisting) {
      for (const v of await this.versions.archiveOthers(manager, modelKey, versionNumber, toStage, now)) {
        archived.push({ version: v, fromStage: toStage });
      }
    }
    await this.versions.setStage(manager, modelKey, versionNumber, toStage, now);
    await this.models.touch(manager, modelKey, now);

    const activity = await this.activities.insert(manager, {
      modelKey,
      version: versionNumber,
      type: input.via === 'transition' ? 'APPLIED_TRANSITION' : 'APPROVED_REQUEST',
      userId: actor,
      fromStage,
      toStage,
      comment: input.comment,
      now,
    });
    for (const a of archived) {
      await this.activities.insert(manager, {
        modelKey,
        version: a.version,
        type: 'SYSTEM_TRANSITION',
        userId: actor,
        fromStage: a.fromStage,
        toStage: 'Archived',
        systemComment: `Archived because version ${versionNumber} moved to ${toStage} with archive_existing_versions.`,
        now,
      });
    }
    await this.outbox.append(manager, 'cairn.registry.model_version.stage_transitioned.v1', model.name, {
      name: model.name,
      version: String(versionNumber),
      from_stage: fromStage,
      to_stage: toStage,
      actor,
      archived_versions: archived.map((a) => ({ version: String(a.version), from_stage: a.fromStage })),
      via: input.via,
      comment: input.comment,
    });
    return { fromStage, archived, activity };
  }
}
