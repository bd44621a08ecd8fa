import { DataSource } from 'typeorm';
import { OutboxWriter } from '@cairn/events';
import { ActivitiesRepository } from '../repositories/activities.repository';
import { GovernanceService } from './governance.service';
import { StageTransitions } from './stage-transitions.service';
import { RegistryViews } from './views.service';
import { rejectionOf } from '@cairn/testing';

/** Comments: only their author, or an administrator, may edit or delete them. */
function setup(author: string) {
  const manager = {};
  const dataSource = { transaction: jest.fn((work: (m: unknown) => unknown) => work(manager)) };
  const comment = { id: 'c1', user_id: author, comment: 'old', activity_type: 'NEW_COMMENT', creation_time: 1, last_updated_time: 1 };
  const activities = {
    findComment: jest.fn().mockResolvedValue(comment),
    updateComment: jest.fn().mockResolvedValue({ ...comment, comment: 'new' }),
    deleteComment: jest.fn().mockResolvedValue(true),
  };
  const service = new GovernanceService(
    dataSource as unknown as DataSource,
    activities as unknown as ActivitiesRepository,
    {} as RegistryViews,
    {} as StageTransitions,
    {} as OutboxWriter,
  );
  return { service, activities };
}

describe('comment authorship', () => {
  it('lets the author edit and delete', async () => {
    const { service, activities } = setup('ann');
    await service.updateComment({ id: 'c1', comment: 'new' }, { name: 'ann', admin: false });
    await service.deleteComment({ id: 'c1' }, { name: 'ann', admin: false });
    expect(activities.updateComment).toHaveBeenCalled();
    expect(activities.deleteComment).toHaveBeenCalled();
  });

  it('refuses someone else, and changes nothing', async () => {
    const { service, activities } = setup('ann');
    expect((await rejectionOf(service.updateComment({ id: 'c1', comment: 'x' }, { name: 'bob', admin: false }))).code).toBe(
      'PERMISSION_DENIED',
    );
    expect((await rejectionOf(service.deleteComment({ id: 'c1' }, { name: 'bob', admin: false }))).code).toBe('PERMISSION_DENIED');
    expect(activities.updateComment).not.toHaveBeenCalled();
    expect(activities.deleteComment).not.toHaveBeenCalled();
  });

  it('lets an administrator moderate', async () => {
    const { service, activities } = setup('ann');
    await service.deleteComment({ id: 'c1' }, { name: 'root', admin: true });
    expect(activities.deleteComment).toHaveBeenCalled();
  });

  it('answers 404 for an unknown comment', async () => {
    const { service, activities } = setup('ann');
    activities.findComment.mockResolvedValueOnce(null);
    expect((await rejectionOf(service.deleteComment({ id: 'nope' }, { name: 'ann', admin: false }))).code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
  });
});
