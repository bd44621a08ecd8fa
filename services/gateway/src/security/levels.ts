import { CairnError } from '@cairn/contracts';

/**
 * One permission model, two vocabularies. Ordered: each level includes the
 * ones before it. MLflow's auth app speaks READ / EDIT / MANAGE /
 * NO_PERMISSIONS; the managed registry speaks CAN_READ, CAN_EDIT,
 * CAN_MANAGE_STAGING_VERSIONS, CAN_MANAGE_PRODUCTION_VERSIONS, CAN_MANAGE.
 * Stored levels use the first vocabulary plus the two stage-gate levels.
 */
export const LEVELS = [
  'NO_PERMISSIONS',
  'READ',
  'EDIT',
  'CAN_MANAGE_STAGING_VERSIONS',
  'CAN_MANAGE_PRODUCTION_VERSIONS',
  'MANAGE',
] as const;
export type Level = (typeof LEVELS)[number];

export type ResourceType = 'experiment' | 'registered_model';

const RANK: Record<Level, number> = Object.fromEntries(LEVELS.map((l, i) => [l, i])) as Record<Level, number>;

export function atLeast(have: Level, need: Level): boolean {
  return RANK[have] >= RANK[need];
}

export function maxLevel(levels: Level[]): Level | undefined {
  let best: Level | undefined;
  for (const l of levels) if (best === undefined || RANK[l] > RANK[best]) best = l;
  return best;
}

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RANK, value);
}

const MLFLOW_LEVELS = ['READ', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'] as const;

/** A level named in MLflow's auth-app API (READ, EDIT, MANAGE, NO_PERMISSIONS). */
export function parseMlflowLevel(value: unknown): Level {
  if (typeof value === 'string' && (MLFLOW_LEVELS as readonly string[]).includes(value)) return value as Level;
  throw CairnError.invalidParameter(
    `Invalid permission '${String(value)}'. Valid permissions are: ${MLFLOW_LEVELS.join(', ')}`,
  );
}

/** How MLflow's API shows a level: the stage-gate levels read as EDIT there. */
export function mlflowLevel(level: Level): string {
  return level === 'CAN_MANAGE_STAGING_VERSIONS' || level === 'CAN_MANAGE_PRODUCTION_VERSIONS' ? 'EDIT' : level;
}

const MANAGED: Record<Exclude<Level, 'NO_PERMISSIONS'>, string> = {
  READ: 'CAN_READ',
  EDIT: 'CAN_EDIT',
  CAN_MANAGE_STAGING_VERSIONS: 'CAN_MANAGE_STAGING_VERSIONS',
  CAN_MANAGE_PRODUCTION_VERSIONS: 'CAN_MANAGE_PRODUCTION_VERSIONS',
  MANAGE: 'CAN_MANAGE',
};

/** The managed registry's name of a level (undefined for NO_PERMISSIONS, which it does not list). */
export function managedLevel(level: Level): string | undefined {
  return level === 'NO_PERMISSIONS' ? undefined : MANAGED[level];
}

/** The managed registry's levels per object type, with their descriptions (permissionLevels). */
export const MANAGED_LEVELS: Record<ResourceType, { permission_level: string; description: string }[]> = {
  experiment: [
    { permission_level: 'CAN_READ', description: 'Can view the experiment and its runs' },
    { permission_level: 'CAN_EDIT', description: 'Can log runs to and edit the experiment' },
    { permission_level: 'CAN_MANAGE', description: 'Can delete the experiment and change its permissions' },
  ],
  registered_model: [
    { permission_level: 'CAN_READ', description: 'Can view the model and its versions, and request transitions' },
    { permission_level: 'CAN_EDIT', description: 'Can add versions and edit descriptions and tags' },
    {
      permission_level: 'CAN_MANAGE_STAGING_VERSIONS',
      description: 'Can transition versions among None, Archived and Staging, and approve such requests',
    },
    {
      permission_level: 'CAN_MANAGE_PRODUCTION_VERSIONS',
      description: 'Can transition versions to and from any stage, and approve such requests',
    },
    { permission_level: 'CAN_MANAGE', description: 'Can rename and delete the model, cancel any request and change permissions' },
  ],
};

/** A level named in the managed registry's API, for that object type. */
export function parseManagedLevel(value: unknown, type: ResourceType): Level {
  const allowed = MANAGED_LEVELS[type].map((l) => l.permission_level);
  if (typeof value === 'string' && allowed.includes(value)) {
    const found = (Object.entries(MANAGED) as [Level, string][]).find(([, name]) => name === value);
    if (found) return found[0];
  }
  throw CairnError.invalidParameter(`Invalid permission_level '${String(value)}'. Valid levels are: ${allowed.join(', ')}`);
}
