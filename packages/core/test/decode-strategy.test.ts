import { describe, expect, it } from 'vitest';
import { beamSearch, decode, greedyDecode, impliedStrategy, sampleDecode } from '../src/decode/index.js';
import { seededRng } from '../src/random.js';
import { BOS, EOS, bigramLM, initStates } from './decode-fixtures.js';

describe('decode: one entry point for every strategy', () => {
  const base = { bos: BOS, eos: EOS, maxLen: 6 };

  it('greedy, sample and beam give what the strategy functions give', () => {
    const lm = bigramLM();
    const greedy = decode(lm, initStates(), { ...base, strategy: 'greedy' });
    expect(greedy).toEqual([greedyDecode(lm, initStates(), base)]);
    const sampled = decode(lm, initStates(), { ...base, strategy: 'sample', temperature: 1, rng: seededRng(3) });
    expect(sampled).toEqual([sampleDecode(lm, initStates(), { ...base, temperature: 1 }, seededRng(3))]);
    const beam = decode(lm, initStates(), { ...base, strategy: 'beam', beamWidth: 3 });
    expect(beam).toEqual(beamSearch(lm, initStates(), { ...base, beamWidth: 3 }));
    expect(beam.length).toBeGreaterThan(1);
    lm.dispose();
  });

  it('streams tokens for greedy decoding, and bans tokens in every strategy', () => {
    const lm = bigramLM();
    const streamed: number[] = [];
    const [r] = decode(lm, initStates(), { ...base, strategy: 'greedy', onToken: (t) => streamed.push(t) });
    expect(streamed).toEqual(r.tokens);
    for (const strategy of ['greedy', 'sample', 'beam'] as const) {
      const banned = decode(lm, initStates(), { ...base, strategy, bannedTokens: [r.tokens[0]], rng: seededRng(1), beamWidth: 2 });
      for (const h of banned) expect(h.tokens).not.toContain(r.tokens[0]);
    }
    lm.dispose();
  });

  it('a request without a strategy implies one', () => {
    expect(impliedStrategy({}, 'greedy')).toBe('greedy');
    expect(impliedStrategy({ beamWidth: 4 }, 'greedy')).toBe('beam');
    expect(impliedStrategy({ beamWidth: 1 }, 'beam')).toBe('beam');
    expect(impliedStrategy({ temperature: 0.7 }, 'beam')).toBe('sample');
    expect(impliedStrategy({ temperature: 0 }, 'beam')).toBe('beam');
    expect(impliedStrategy({ strategy: 'greedy', temperature: 0.7 }, 'beam')).toBe('greedy');
  });
});
