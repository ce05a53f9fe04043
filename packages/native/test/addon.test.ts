import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { REQUIRED_FUNCTIONS } from '../src/addon.js';
import { expectAddonLoaded, optedOut } from './helpers.js';

// The loader treats an addon that lacks one of REQUIRED_FUNCTIONS as stale (compiled from older
// sources) and falls back to plain tfjs. The list must therefore name exactly what the compiled
// addon exports: a new entry point left out of it would escape the stale check.
describe.skipIf(optedOut)('addon entry points', () => {
  it('the stale-addon check names every function the compiled addon exports, and only those', () => {
    expectAddonLoaded();
    const raw = createRequire(import.meta.url)('../build/Release/rnnkit_native.node') as Record<string, unknown>;
    const exported = Object.keys(raw).filter((name) => typeof raw[name] === 'function').sort();
    expect([...REQUIRED_FUNCTIONS].sort()).toEqual(exported);
  });
});
