import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { readCsvTable } from '../src/data/frame.js';
import { tempDir, writeFile } from './fixtures.js';

describe('danfojs-node behind src/data/frame.ts', () => {
  it('loads silently and shares our single tfjs instance', async () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const log = vi.spyOn(console, 'log');
    const warn = vi.spyOn(console, 'warn');
    const danfo = await import('danfojs-node');
    const printed = [stdout, stderr, log, warn].map((spy) => spy.mock.calls.length);
    vi.restoreAllMocks();
    expect(printed).toEqual([0, 0, 0, 0]);
    // danfo imports "@tensorflow/tfjs-node", which the root overrides alias to plain @tensorflow/tfjs 4.22.
    expect((danfo as unknown as { tensorflow: typeof tf }).tensorflow.engine()).toBe(tf.engine());
  });

  it('returns string cells with data row i on line i + 2', async () => {
    const file = writeFile(tempDir(), 'a.csv', 'date,close\n2020-01-01,1.50\n2020-01-02,007\n');
    const table = await readCsvTable(file);
    expect(table.columns).toEqual(['date', 'close']);
    expect(table.rows).toEqual([['2020-01-01', '1.50'], ['2020-01-02', '007']]);
  });
});
