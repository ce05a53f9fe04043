/**
 * The forecast band's percentiles, its sources and the sentence that says where it comes from. No imports at run
 * time, so the web page's main thread can word its label without loading the predictor (which brings tfjs).
 */

export const BAND_PERCENTILES = [10, 90] as const;

/** Where the band comes from: the quantile model's own quantiles, or the percentiles of a point model's errors. */
export const BAND_SOURCES = ['model-quantiles', 'walk-forward-errors'] as const;
export type BandSource = (typeof BAND_SOURCES)[number];

export interface BandInfo {
  percentiles: [number, number];
  /** Walk-forward test days behind the band (its errors' percentiles, or the days a quantile model was checked on). */
  samples: number;
  source: BandSource;
  /** Share of those next-day closes inside a quantile model's band. */
  coverage?: number;
}

/** e.g. "band: the model's own 10% and 90% quantiles (an 80% interval; it held 81.2% of 241 walk-forward next-day closes)". */
export function describeBand(band: BandInfo): string {
  const [lo, hi] = band.percentiles;
  if (band.source === 'model-quantiles') {
    const held = band.coverage === undefined ? '' : `; it held ${(100 * band.coverage).toFixed(1)}% of ${band.samples} walk-forward next-day closes`;
    return `band: the model's own ${lo}% and ${hi}% quantiles (an 80% interval${held})`;
  }
  return `band: ${lo}th..${hi}th percentiles of the model's cumulative walk-forward errors on ${band.samples} test days`;
}
