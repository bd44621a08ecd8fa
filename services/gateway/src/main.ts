import 'reflect-metadata';
import { runStandalone } from '@cairn/runtime';
import { bootstrapGateway } from './bootstrap';

runStandalone('gateway', bootstrapGateway);
