import 'reflect-metadata';
import { runStandalone } from '@cairn/runtime';
import { bootstrapArtifacts } from './bootstrap';

runStandalone('artifacts', bootstrapArtifacts);
