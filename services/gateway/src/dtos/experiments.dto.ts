import { z } from 'zod';
import { queryString } from '../http/request-parsing';

const tag = z.object({ key: z.string(), value: z.string() }).strict();

export const getExperimentQuery = z.object({ experiment_id: queryString });

export const createExperimentBody = z.object({
  name: z.string(),
  artifact_location: z.string().optional(),
  tags: z.array(tag).max(1000).optional(),
});
