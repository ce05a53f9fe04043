import { RnnkitError } from '../errors.js';

/** The four reserved tokens every Vocab starts with; their ids are fixed so models and apps can hard-code them. */
export const PAD = 0;
export const UNK = 1;
export const BOS = 2;
export const EOS = 3;
export const SPECIAL_TOKENS: readonly string[] = ['<pad>', '<unk>', '<bos>', '<eos>'];

export interface VocabBuildOptions {
  /** Drop tokens seen fewer than this many times (default 1: keep everything). */
  minCount?: number;
  /** Upper bound on the vocabulary size, reserved tokens included. */
  maxSize?: number;
  /** Extra reserved tokens (e.g. '<sep>'), placed right after the four fixed ones. */
  specials?: string[];
}

export interface VocabJSON {
  format: 'rnnkit-vocab';
  version: 1;
  tokens: string[];
}

export interface EncodeOptions {
  addBos?: boolean;
  addEos?: boolean;
}

export interface DecodeTokensOptions {
  /** Leave out PAD/BOS/EOS (and stop at the first EOS), which is what a reader of generated text wants. */
  stripSpecials?: boolean;
}

/** A token ↔ id table. Ids 0..3 are PAD, UNK, BOS, EOS; the rest are ordered by count (desc), then token. */
export class Vocab {
  static readonly PAD = PAD;
  static readonly UNK = UNK;
  static readonly BOS = BOS;
  static readonly EOS = EOS;

  private readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;

  private constructor(tokens: string[]) {
    this.tokens = tokens;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * Counts tokens and keeps the frequent ones. Accepts a flat token stream or a stream of token arrays
   * (sentences). Ties in count are broken by token so that the same corpus always gives the same ids.
   */
  static build(tokens: Iterable<string | readonly string[]>, opts: VocabBuildOptions = {}): Vocab {
    const minCount = opts.minCount ?? 1;
    const specials = [...SPECIAL_TOKENS, ...(opts.specials ?? [])];
    if (!Number.isInteger(minCount) || minCount < 1) {
      throw new RnnkitError(`Vocab.build: minCount must be an integer >= 1, got ${opts.minCount}`);
    }
    if (opts.maxSize !== undefined && (!Number.isInteger(opts.maxSize) || opts.maxSize < specials.length)) {
      throw new RnnkitError(
        `Vocab.build: maxSize must be an integer >= ${specials.length} (the reserved tokens), got ${opts.maxSize}`,
      );
    }
    if (new Set(specials).size !== specials.length) {
      throw new RnnkitError(`Vocab.build: duplicate reserved tokens in ${JSON.stringify(specials)}`);
    }
    const counts = new Map<string, number>();
    const add = (t: string) => counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const item of tokens) {
      if (typeof item === 'string') add(item);
      else for (const t of item) add(t);
    }
    const reserved = new Set(specials);
    const ranked = [...counts.entries()]
      .filter(([t, c]) => c >= minCount && !reserved.has(t))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([t]) => t);
    const room = (opts.maxSize ?? Infinity) - specials.length;
    return new Vocab([...specials, ...ranked.slice(0, room)]);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The id of `token`, or UNK when it is not in the vocabulary. */
  idOf(token: string): number {
    return this.ids.get(token) ?? UNK;
  }

  tokenOf(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
      throw new RnnkitError(`Vocab: id ${id} is out of range [0, ${this.tokens.length})`);
    }
    return this.tokens[id];
  }

  encode(tokens: readonly string[], opts: EncodeOptions = {}): number[] {
    const ids = tokens.map((t) => this.idOf(t));
    if (opts.addBos) ids.unshift(BOS);
    if (opts.addEos) ids.push(EOS);
    return ids;
  }

  decode(ids: ArrayLike<number>, opts: DecodeTokensOptions = {}): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (opts.stripSpecials) {
        if (id === EOS) break;
        if (id === PAD || id === BOS) continue;
      }
      out.push(this.tokenOf(id));
    }
    return out;
  }

  /** Distinct tokens of `tokens` that would be encoded as UNK, in order of first appearance. */
  unknownTokens(tokens: Iterable<string>): string[] {
    const seen = new Set<string>();
    for (const t of tokens) if (!this.ids.has(t)) seen.add(t);
    return [...seen];
  }

  toJSON(): VocabJSON {
    return { format: 'rnnkit-vocab', version: 1, tokens: [...this.tokens] };
  }

  /** Rebuilds a Vocab saved with toJSON. `source` (e.g. the file name) is named in error messages. */
  static fromJSON(json: unknown, source = 'vocab'): Vocab {
    const fail = (what: string): never => {
      throw new RnnkitError(`${source}: invalid vocabulary: ${what}`);
    };
    if (typeof json !== 'object' || json === null) fail('expected a JSON object');
    const obj = json as Record<string, unknown>;
    if (obj.format !== 'rnnkit-vocab') fail(`field "format" must be "rnnkit-vocab", got ${JSON.stringify(obj.format)}`);
    if (obj.version !== 1) fail(`field "version" must be 1, got ${JSON.stringify(obj.version)}`);
    if (!Array.isArray(obj.tokens)) fail('field "tokens" must be an array of strings');
    const tokens = obj.tokens as unknown[];
    const seen = new Set<string>();
    tokens.forEach((t, i) => {
      if (typeof t !== 'string') fail(`tokens[${i}] is not a string`);
      if (seen.has(t as string)) fail(`tokens[${i}] ${JSON.stringify(t)} is a duplicate`);
      seen.add(t as string);
    });
    SPECIAL_TOKENS.forEach((s, i) => {
      if (tokens[i] !== s) fail(`tokens[${i}] must be the reserved token ${JSON.stringify(s)}, got ${JSON.stringify(tokens[i])}`);
    });
    return new Vocab(tokens as string[]);
  }
}
