import { DynamicModule, Global, Module } from '@nestjs/common';
import { CairnConfig } from './config';

/** Injection token of the validated configuration. */
export const CAIRN_CONFIG = Symbol('CAIRN_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: CairnConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: CAIRN_CONFIG, useValue: config }],
      exports: [CAIRN_CONFIG],
    };
  }
}
