// Runs a command with RNNKIT_DATA_DIR defaulting to the `shared/datasets` folder beside the checkout when the
// variable is unset and that folder exists, so `npm test` and `npm run demo` work as written on our machines.
// An explicit RNNKIT_DATA_DIR always wins; without either, apps fall back to their cached downloads.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const beside = resolve(new URL('..', import.meta.url).pathname, '..', 'shared', 'datasets');
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: process.env.TURBO_TELEMETRY_DISABLED ?? '1' };
if (!env.RNNKIT_DATA_DIR && existsSync(beside)) env.RNNKIT_DATA_DIR = beside;
const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-data.mjs <command> [args...]');
  process.exit(2);
}
const run = spawnSync(command, args, { stdio: 'inherit', env });
process.exit(run.status ?? 1);
