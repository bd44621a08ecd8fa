import { z } from 'zod';
import { queryString, wire } from '../http/request-parsing';

const tag = z.object({ key: z.string(), value: z.string() });

export const getExperimentQuery = z.object({ experiment_id: queryString });

export const getExperimentByNameQuery = z.object({ experiment_name: queryString });

export const createExperimentBody = z.object({
  name: z.string(),
  artifact_location: z.string().optional(),
  tags: z.array(tag).max(1000).optional(),
});

export const searchExperimentsBody = z.object({
  max_results: wire.int64.optional(),
  page_token: z.string().optional(),
  filter: z.string().optional(),
  order_by: z.array(z.string()).optional(),
  view_type: z.string().optional(),
});

export const searchExperimentsQuery = z.object({
  max_results: wire.int64.optional(),
  page_token: queryString.optional(),
  filter: queryString.optional(),
  order_by: wire.repeated.optional(),
  view_type: queryString.optional(),
});

export const experimentIdBody = z.object({ experiment_id: z.string() });

export const updateExperimentBody = z.object({ experiment_id: z.string(), new_name: z.string() });

export const setExperimentTagBody = z.object({ experiment_id: z.string(), key: z.string(), value: z.string() });

export const deleteExperimentTagBody = z.object({ experiment_id: z.string(), key: z.string() });
