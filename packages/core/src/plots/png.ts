import { Resvg } from '@resvg/resvg-js';
import { RnnkitError } from '../errors.js';

/**
 * Renders an SVG (e.g. from lineChartSvg or heatmapSvg) to PNG bytes with resvg, using the system's fonts for text.
 * `width` rescales the output (default: the SVG's own size).
 */
export function svgToPng(svg: string, opts: { width?: number } = {}): Uint8Array {
  if (!svg.trimStart().startsWith('<svg') && !svg.trimStart().startsWith('<?xml')) {
    throw new RnnkitError('svgToPng: input does not look like an SVG document');
  }
  try {
    const resvg = new Resvg(svg, {
      fitTo: opts.width ? { mode: 'width', value: opts.width } : { mode: 'original' },
      background: 'white',
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
      logLevel: 'off',
    });
    return new Uint8Array(resvg.render().asPng());
  } catch (err) {
    throw new RnnkitError(`svgToPng: could not render the SVG: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
