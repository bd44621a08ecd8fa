import { PersistenceOptions } from '@cairn/persistence';
import { ActivityEntity } from './entities/activity.entity';
import { ModelVersionEntity, ModelVersionTagEntity } from './entities/model-version.entity';
import { RegisteredModelAliasEntity, RegisteredModelEntity, RegisteredModelTagEntity } from './entities/registered-model.entity';
import { RegistryInitial1764400000000 } from './migrations/1764400000000-initial';
import { RegistryTagIndex1764600000000 } from './migrations/1764600000000-tag-index';
import { RegistrySearchElements1765500000000 } from './migrations/1765500000000-search-elements';

/** The registry service's schema, entities and migrations. */
export const registryPersistence: PersistenceOptions = {
  schema: 'registry',
  entities: [
    RegisteredModelEntity,
    RegisteredModelTagEntity,
    RegisteredModelAliasEntity,
    ModelVersionEntity,
    ModelVersionTagEntity,
    ActivityEntity,
  ],
  migrations: [RegistryInitial1764400000000, RegistryTagIndex1764600000000, RegistrySearchElements1765500000000],
};
