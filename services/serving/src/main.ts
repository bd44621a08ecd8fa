import 'reflect-metadata';
import { runStandalone } from '@cairn/runtime';
import { bootstrapServing } from './bootstrap';

runStandalone('serving', bootstrapServing);
