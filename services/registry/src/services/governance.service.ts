import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CairnError, registry } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import { ActivityEntity } from '../entities/activity.entity';
import { ModelVersionEntity, Stage } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { ActivitiesRepository } from '../repositories/activities.repository';
import { toActivity, toComment, toModelVersionDatabricks, toTransitionRequest } from './messages';
import { StageTransitions } from './stage-transitions.service';
import {
  canonicalStage,
  parseVersion,
  requireField,
  validateArchiveExisting,
  validateComment,
  validateModelName,
} from './validation';
import { RegistryViews } from './views.service';

/** Who a call acts for, and whether the gateway vouched for it as an administrator. */
export interface CallActor {
  name: string;
  admin: boolean;
}

interface VersionRef {
  name: string;
  version: string;
}

interface Locked {
  model: RegisteredModelEntity;
  version: ModelVersionEntity;
  modelKey: number;
  number: number;
}

function noOpenRequest(name: string, version: number, stage: Stage, creator?: string): CairnError {
  const by = creator === undefined ? '' : ` created by '${creator}'`;
  return CairnError.notFound(
    `No open transition request${by} to stage '${stage}' for model version (name=${name}, version=${version}).`,
  );
}

/**
 * The managed registry's governance: transition requests (create, approve,
 * reject, cancel, list), direct transitions with a comment, comments, and the
 * activity history of a version. Every change locks the model row, records who
 * did it and when, and emits its event in the same transaction.
 */
@Injectable()
export class GovernanceService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly activities: ActivitiesRepository,
    private readonly views: RegistryViews,
    private readonly transitions: StageTransitions,
    private readonly outbox: OutboxWriter,
  ) {}

  private async lockVersion(manager: EntityManager, ref: VersionRef): Promise<Locked> {
    const name = validateModelName(ref.name);
    const number = parseVersion(ref.version);
    const model = await this.views.lockModel(manager, name);
    const version = await this.views.requireVersion(model, number, manager);
    return { model, version, modelKey: Number(model.model_key), number };
  }

  private checkRef(ref: VersionRef): void {
    validateModelName(ref.name);
    parseVersion(ref.version);
  }

  async createRequest(request: registry.CreateTransitionRequestRequest, actor: string): Promise<registry.TransitionRequest> {
    this.checkRef(request);
    const stage = canonicalStage(request.stage);
    const comment = validateComment(request.comment, false);
    return this.dataSource.transaction(async (manager) => {
      const { model, version, modelKey, number } = await this.lockVersion(manager, request);
      if (version.current_stage === stage) {
        throw CairnError.invalidParameter(
          `Model version (name=${model.name}, version=${number}) is already in stage '${stage}'.`,
        );
      }
      const open = await this.activities.openRequests(manager, modelKey, number, { toStage: stage, creator: actor });
      if (open.length > 0) {
        throw CairnError.alreadyExists(
          `'${actor}' already has an open request to move model version (name=${model.name}, version=${number}) to '${stage}'.`,
        );
      }
      const activity = await this.activities.insert(manager, {
        modelKey,
        version: number,
        type: 'REQUESTED_TRANSITION',
        userId: actor,
        fromStage: version.current_stage,
        toStage: stage,
        comment,
        requestState: 'OPEN',
        now: Date.now(),
      });
      await this.outbox.append(manager, 'cairn.registry.transition_request.created.v1', model.name, {
        name: model.name,
        version: String(number),
        request_id: activity.id,
        from_stage: version.current_stage,
        to_stage: stage,
        actor,
        comment,
      });
      return toTransitionRequest(activity, actor);
    });
  }

  /** Approves every open request of the version to that stage and applies the transition. */
  async approve(request: registry.ApproveTransitionRequestRequest, actor: string): Promise<registry.Activity> {
    this.checkRef(request);
    const stage = canonicalStage(request.stage);
    validateArchiveExisting(stage, request.archive_existing_versions);
    const comment = validateComment(request.comment, false);
    return this.dataSource.transaction(async (manager) => {
      const { model, version, modelKey, number } = await this.lockVersion(manager, request);
      const open = await this.activities.openRequests(manager, modelKey, number, { toStage: stage });
      if (open.length === 0) throw noOpenRequest(model.name, number, stage);
      const now = Date.now();
      await this.activities.resolveRequests(manager, open.map((a) => a.id), 'APPROVED', now);
      const result = await this.transitions.apply(manager, {
        model,
        version,
        toStage: stage,
        archiveExisting: request.archive_existing_versions,
        actor,
        comment,
        via: 'approved_request',
        now,
      });
      await this.outbox.append(manager, 'cairn.registry.transition_request.approved.v1', model.name, {
        name: model.name,
        version: String(number),
        request_ids: open.map((a) => a.id),
        to_stage: stage,
        actor,
        comment,
      });
      return toActivity(result.activity, actor);
    });
  }

  async reject(request: registry.RejectTransitionRequestRequest, actor: string): Promise<registry.Activity> {
    this.checkRef(request);
    const stage = canonicalStage(request.stage);
    const comment = validateComment(request.comment, false);
    return this.dataSource.transaction(async (manager) => {
      const { model, version, modelKey, number } = await this.lockVersion(manager, request);
      const open = await this.activities.openRequests(manager, modelKey, number, { toStage: stage });
      if (open.length === 0) throw noOpenRequest(model.name, number, stage);
      const now = Date.now();
      await this.activities.resolveRequests(manager, open.map((a) => a.id), 'REJECTED', now);
      const activity = await this.activities.insert(manager, {
        modelKey,
        version: number,
        type: 'REJECTED_REQUEST',
        userId: actor,
        fromStage: version.current_stage,
        toStage: stage,
        comment,
        now,
      });
      await this.outbox.append(manager, 'cairn.registry.transition_request.rejected.v1', model.name, {
        name: model.name,
        version: String(number),
        request_ids: open.map((a) => a.id),
        to_stage: stage,
        actor,
        comment,
      });
      return toActivity(activity, actor);
    });
  }

  /** Cancels the open request `creator` made to that stage (the managed registry's DELETE). */
  async cancel(request: registry.DeleteTransitionRequestRequest, actor: string): Promise<registry.Activity> {
    this.checkRef(request);
    const stage = canonicalStage(request.stage);
    const creator = request.creator || actor;
    const comment = validateComment(request.comment, false);
    return this.dataSource.transaction(async (manager) => {
      const { model, version, modelKey, number } = await this.lockVersion(manager, request);
      const [open] = await this.activities.openRequests(manager, modelKey, number, { toStage: stage, creator });
      if (!open) throw noOpenRequest(model.name, number, stage, creator);
      const now = Date.now();
      await this.activities.resolveRequests(manager, [open.id], 'CANCELLED', now);
      const activity = await this.activities.insert(manager, {
        modelKey,
        version: number,
        type: 'CANCELLED_REQUEST',
        userId: actor,
        fromStage: version.current_stage,
        toStage: stage,
        comment,
        now,
      });
      await this.outbox.append(manager, 'cairn.registry.transition_request.cancelled.v1', model.name, {
        name: model.name,
        version: String(number),
        request_id: open.id,
        to_stage: stage,
        creator,
        actor,
        comment,
      });
      return toActivity(activity, actor);
    });
  }

  async listOpen(request: registry.ListTransitionRequestsRequest, actor: string): Promise<registry.Activity[]> {
    const name = validateModelName(request.name);
    const number = parseVersion(request.version);
    const model = await this.views.requireModel(name);
    await this.views.requireVersion(model, number);
    const open = await this.activities.openRequests(undefined, Number(model.model_key), number);
    return open.map((a) => toActivity(a, actor));
  }

  /** The managed registry's direct transition (with a comment), answering the version with its open requests. */
  async transitionStage(request: registry.TransitionStageRequest, actor: string): Promise<registry.ModelVersionDatabricks> {
    this.checkRef(request);
    const stage = canonicalStage(request.stage);
    validateArchiveExisting(stage, request.archive_existing_versions);
    const comment = validateComment(request.comment, false);
    return this.dataSource.transaction(async (manager) => {
      const { model, version, modelKey, number } = await this.lockVersion(manager, request);
      await this.transitions.apply(manager, {
        model,
        version,
        toStage: stage,
        archiveExisting: request.archive_existing_versions,
        actor,
        comment,
        via: 'transition',
        now: Date.now(),
      });
      const updated = await this.views.versionMessage(await this.views.requireVersion(model, number, manager), manager);
      const open = await this.activities.openRequests(manager, modelKey, number);
      return toModelVersionDatabricks(updated, open.map((a) => toActivity(a, actor)));
    });
  }

  async createComment(request: registry.CreateCommentRequest, actor: string): Promise<registry.CommentObject> {
    this.checkRef(request);
    const comment = validateComment(request.comment, true)!;
    return this.dataSource.transaction(async (manager) => {
      const { model, modelKey, number } = await this.lockVersion(manager, request);
      const activity = await this.activities.insert(manager, {
        modelKey,
        version: number,
        type: 'NEW_COMMENT',
        userId: actor,
        comment,
        now: Date.now(),
      });
      await this.outbox.append(manager, 'cairn.registry.comment.created.v1', model.name, {
        name: model.name,
        version: String(number),
        comment_id: activity.id,
        comment,
        actor,
      });
      return toComment(activity, actor);
    });
  }

  async updateComment(request: registry.UpdateCommentRequest, actor: CallActor): Promise<registry.CommentObject> {
    const id = requireField('id', request.id);
    const comment = validateComment(request.comment, true)!;
    return this.dataSource.transaction(async (manager) => {
      await this.requireCommentAuthor(manager, id, actor, 'edit');
      const updated = await this.activities.updateComment(manager, id, comment, Date.now());
      if (!updated) throw CairnError.notFound(`Comment with id=${id} not found`);
      return toComment(updated, actor.name);
    });
  }

  async deleteComment(request: registry.DeleteCommentRequest, actor: CallActor): Promise<void> {
    const id = requireField('id', request.id);
    await this.dataSource.transaction(async (manager) => {
      await this.requireCommentAuthor(manager, id, actor, 'delete');
      if (!(await this.activities.deleteComment(manager, id))) throw CairnError.notFound(`Comment with id=${id} not found`);
    });
  }

  /** A comment may be edited or deleted by its author, or by an administrator. */
  private async requireCommentAuthor(manager: EntityManager, id: string, actor: CallActor, action: string): Promise<void> {
    const existing = await this.activities.findComment(id, manager);
    if (!existing) throw CairnError.notFound(`Comment with id=${id} not found`);
    if (!actor.admin && existing.user_id !== actor.name) {
      throw new CairnError('PERMISSION_DENIED', `Only the author of comment ${id} may ${action} it.`);
    }
  }

  /** The version (with its open requests) and every activity on it, oldest first. */
  async history(request: registry.GetModelVersionActivityRequest, actor: string): Promise<registry.GetModelVersionActivityResponse> {
    const name = validateModelName(request.name);
    const number = parseVersion(request.version);
    const model = await this.views.requireModel(name);
    const row = await this.views.requireVersion(model, number);
    const activities: ActivityEntity[] = await this.activities.history(Number(model.model_key), number);
    const messages = activities.map((a) => toActivity(a, actor));
    const open = messages.filter((a) => a.request_state === 'OPEN');
    return {
      model_version_databricks: toModelVersionDatabricks(await this.views.versionMessage(row), open),
      activities: messages,
    };
  }
}
