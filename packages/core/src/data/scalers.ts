import { RnnkitError } from '../errors.js';

type Rows = readonly (readonly number[])[];

export interface ScalerJSON {
  format: 'rnnkit-scaler';
  kind: 'minmax' | 'standard';
  /** Per-feature statistics: min/max for minmax, mean/std for standard. */
  a: number[];
  b: number[];
  featureRange?: [number, number];
}

/**
 * Both scalers are per-feature affine maps z = (x - shift) / scale + base; they differ only in how fit() picks
 * shift and scale. Fit on training rows only, so validation/test statistics never leak into the model.
 */
abstract class AffineScaler {
  protected shift: number[] | undefined;
  protected scale: number[] | undefined;
  protected base = 0;
  protected abstract readonly name: string;

  get fitted(): boolean {
    return this.shift !== undefined;
  }

  get numFeatures(): number {
    return this.requireFit().shift.length;
  }

  fit(rows: Rows): this {
    if (rows.length === 0) throw new RnnkitError(`${this.name}.fit: no rows given`);
    const width = rows[0].length;
    if (width === 0) throw new RnnkitError(`${this.name}.fit: rows have no features`);
    rows.forEach((r, i) => {
      if (r.length !== width) throw new RnnkitError(`${this.name}.fit: row ${i} has ${r.length} features, row 0 has ${width}`);
      r.forEach((v, j) => {
        if (!Number.isFinite(v)) throw new RnnkitError(`${this.name}.fit: row ${i}, feature ${j} is not a finite number: ${v}`);
      });
    });
    this.computeStats(rows, width);
    return this;
  }

  transform(rows: Rows): number[][] {
    const { shift, scale } = this.requireFit();
    this.checkWidth(rows, 'transform');
    return rows.map((r) => r.map((v, j) => (v - shift[j]) / scale[j] + this.base));
  }

  inverseTransform(rows: Rows): number[][] {
    const { shift, scale } = this.requireFit();
    this.checkWidth(rows, 'inverseTransform');
    return rows.map((r) => r.map((v, j) => (v - this.base) * scale[j] + shift[j]));
  }

  /** Scales values of one feature column (e.g. a model's predictions of the target column). */
  transformColumn(values: ArrayLike<number>, column: number): number[] {
    const { shift, scale } = this.requireColumn(column);
    return Array.from(values, (v) => (v - shift) / scale + this.base);
  }

  inverseTransformColumn(values: ArrayLike<number>, column: number): number[] {
    const { shift, scale } = this.requireColumn(column);
    return Array.from(values, (v) => (v - this.base) * scale + shift);
  }

  fitTransform(rows: Rows): number[][] {
    return this.fit(rows).transform(rows);
  }

  protected abstract computeStats(rows: Rows, width: number): void;

  protected requireFit(): { shift: number[]; scale: number[] } {
    if (this.shift === undefined || this.scale === undefined) {
      throw new RnnkitError(`${this.name}: call fit() (on training rows) before transforming`);
    }
    return { shift: this.shift, scale: this.scale };
  }

  private requireColumn(column: number): { shift: number; scale: number } {
    const { shift, scale } = this.requireFit();
    if (!Number.isInteger(column) || column < 0 || column >= shift.length) {
      throw new RnnkitError(`${this.name}: column ${column} is out of range [0, ${shift.length})`);
    }
    return { shift: shift[column], scale: scale[column] };
  }

  private checkWidth(rows: Rows, op: string): void {
    const width = this.requireFit().shift.length;
    rows.forEach((r, i) => {
      if (r.length !== width) {
        throw new RnnkitError(`${this.name}.${op}: row ${i} has ${r.length} features, the scaler was fitted on ${width}`);
      }
    });
  }
}

/** Maps each feature's training [min, max] onto featureRange (default [0, 1]). A constant feature maps to the low end. */
export class MinMaxScaler extends AffineScaler {
  protected readonly name = 'MinMaxScaler';
  readonly featureRange: [number, number];
  private min: number[] = [];
  private max: number[] = [];

  constructor(opts: { featureRange?: [number, number] } = {}) {
    super();
    this.featureRange = opts.featureRange ?? [0, 1];
    const [lo, hi] = this.featureRange;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
      throw new RnnkitError(`MinMaxScaler: featureRange must be [low, high] with low < high, got [${lo}, ${hi}]`);
    }
    this.base = lo;
  }

  protected computeStats(rows: Rows, width: number): void {
    this.min = Array(width).fill(Infinity);
    this.max = Array(width).fill(-Infinity);
    for (const r of rows) {
      r.forEach((v, j) => {
        if (v < this.min[j]) this.min[j] = v;
        if (v > this.max[j]) this.max[j] = v;
      });
    }
    this.setAffine();
  }

  private setAffine(): void {
    const [lo, hi] = this.featureRange;
    this.shift = [...this.min];
    // A constant feature has max == min; dividing by 1 instead of 0 keeps it finite (all values become `lo`).
    this.scale = this.min.map((mn, j) => (this.max[j] - mn || 1) / (hi - lo));
  }

  toJSON(): ScalerJSON {
    this.requireFit();
    return { format: 'rnnkit-scaler', kind: 'minmax', a: [...this.min], b: [...this.max], featureRange: [...this.featureRange] };
  }

  static fromJSON(json: unknown, source = 'scaler'): MinMaxScaler {
    const { a, b, featureRange } = parseScalerJSON(json, 'minmax', source);
    const s = new MinMaxScaler({ featureRange });
    s.min = a;
    s.max = b;
    s.setAffine();
    return s;
  }
}

/** Standardizes each feature to zero mean and unit (population) variance on the training rows. */
export class StandardScaler extends AffineScaler {
  protected readonly name = 'StandardScaler';

  protected computeStats(rows: Rows, width: number): void {
    const mean = Array(width).fill(0);
    for (const r of rows) r.forEach((v, j) => (mean[j] += v / rows.length));
    const variance = Array(width).fill(0);
    for (const r of rows) r.forEach((v, j) => (variance[j] += (v - mean[j]) ** 2 / rows.length));
    this.shift = mean;
    // A constant feature has std 0; scaling by 1 maps it to 0 instead of NaN.
    this.scale = variance.map((v) => Math.sqrt(v) || 1);
  }

  get mean(): number[] {
    return [...this.requireFit().shift];
  }

  get std(): number[] {
    return [...this.requireFit().scale];
  }

  toJSON(): ScalerJSON {
    const { shift, scale } = this.requireFit();
    return { format: 'rnnkit-scaler', kind: 'standard', a: [...shift], b: [...scale] };
  }

  static fromJSON(json: unknown, source = 'scaler'): StandardScaler {
    const { a, b } = parseScalerJSON(json, 'standard', source);
    b.forEach((v, j) => {
      if (v <= 0) throw new RnnkitError(`${source}: invalid scaler: b[${j}] (std) must be > 0, got ${v}`);
    });
    const s = new StandardScaler();
    s.shift = a;
    s.scale = b;
    return s;
  }
}

function parseScalerJSON(json: unknown, kind: ScalerJSON['kind'], source: string): ScalerJSON {
  const fail = (what: string): never => {
    throw new RnnkitError(`${source}: invalid scaler: ${what}`);
  };
  if (typeof json !== 'object' || json === null) fail('expected a JSON object');
  const o = json as Record<string, unknown>;
  if (o.format !== 'rnnkit-scaler') fail(`field "format" must be "rnnkit-scaler", got ${JSON.stringify(o.format)}`);
  if (o.kind !== kind) fail(`field "kind" must be "${kind}", got ${JSON.stringify(o.kind)}`);
  const numbers = (field: 'a' | 'b'): number[] => {
    const v = o[field];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      return fail(`field "${field}" must be a non-empty array of finite numbers`);
    }
    return [...v];
  };
  const a = numbers('a');
  const b = numbers('b');
  if (a.length !== b.length) fail(`fields "a" and "b" differ in length (${a.length} vs ${b.length})`);
  let featureRange: [number, number] | undefined;
  if (kind === 'minmax') {
    const fr = o.featureRange;
    if (!Array.isArray(fr) || fr.length !== 2 || !fr.every((x) => typeof x === 'number')) {
      fail('field "featureRange" must be [low, high]');
    }
    featureRange = fr as [number, number];
    a.forEach((mn, j) => {
      if (mn > b[j]) fail(`feature ${j}: min ${mn} > max ${b[j]}`);
    });
  }
  return { format: 'rnnkit-scaler', kind, a, b, featureRange };
}
