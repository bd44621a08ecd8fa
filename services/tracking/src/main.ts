import 'reflect-metadata';
import { runStandalone } from '@cairn/runtime';
import { bootstrapTracking } from './bootstrap';

runStandalone('tracking', bootstrapTracking);
