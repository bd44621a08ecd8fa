import { PersistenceOptions } from '@cairn/persistence';
import { ExperimentTagEntity } from './entities/experiment-tag.entity';
import { ExperimentEntity } from './entities/experiment.entity';
import { Initial1764190000000 } from './migrations/1764190000000-initial';
import { MetricsIdentity1765100000000 } from './migrations/1765100000000-metrics-identity';
import { SearchCoveringIndexes1765200000000 } from './migrations/1765200000000-search-covering-indexes';
import { RunIoFlag1765300000000 } from './migrations/1765300000000-run-io-flag';
import { MetricKeys1765400000000 } from './migrations/1765400000000-metric-keys';

/** The tracking service's schema, entities and migrations. */
export const trackingPersistence: PersistenceOptions = {
  schema: 'tracking',
  entities: [ExperimentEntity, ExperimentTagEntity],
  migrations: [
    Initial1764190000000,
    MetricsIdentity1765100000000,
    SearchCoveringIndexes1765200000000,
    RunIoFlag1765300000000,
    MetricKeys1765400000000,
  ],
};
