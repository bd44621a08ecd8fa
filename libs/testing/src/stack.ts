import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** The connection settings of the local real stack (deploy/local/stack.env), overridable by the environment. */
export function stackEnv(): Record<string, string> {
  const file = readFileSync(path.join(REPO_ROOT, 'deploy/local/stack.env'), 'utf8');
  const env: Record<string, string> = {};
  for (const line of file.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) env[match[1]!] = process.env[match[1]!] ?? match[2]!.trim();
  }
  return env;
}

/** A fresh, empty PostgreSQL database on the stack's server; returns its URL and a drop function. */
export async function createTestDatabase(prefix = 'cairn_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(stackEnv().CAIRN_DATABASE_URL!);
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: base.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
