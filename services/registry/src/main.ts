import 'reflect-metadata';
import { runStandalone } from '@cairn/runtime';
import { bootstrapRegistry } from './bootstrap';

runStandalone('registry', bootstrapRegistry);
