import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EntitySchema, MixedList } from 'typeorm';
import { DatabaseConfig } from '@cairn/config';
import type { Logger } from '@cairn/observability';
import { createDataSource, runMigrations } from './data-source';

export interface PersistenceOptions {
  /** The PostgreSQL schema the service owns. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/**
 * A service's DataSource (injectable as `DataSource`), with its pending
 * migrations applied at start-up, under an advisory lock, before anything
 * else uses it.
 */
@Module({})
export class PersistenceModule {
  static forService(database: DatabaseConfig, options: PersistenceOptions, logger: Logger): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres', retryAttempts: 5, retryDelay: 2000 }),
          dataSourceFactory: async () => {
            const dataSource = await createDataSource(database, { ...options, applicationName: `cairn-${options.schema}` });
            const applied = await runMigrations(dataSource, options.schema, database);
            if (applied.length > 0) logger.info({ schema: options.schema, applied }, 'migrations applied');
            return dataSource;
          },
        }),
      ],
    };
  }
}
