import { RnnkitError } from '../errors.js';
import { escapeXml, formatTick, px, svgOpen } from './svg.js';

export interface HeatmapOptions {
  /** One label per row of `values` (e.g. output tokens, true classes). */
  rows: string[];
  /** One label per column (e.g. source tokens, predicted classes). */
  cols: string[];
  values: number[][];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Color scale limits; default: the data's min and max. */
  min?: number;
  max?: number;
  /** Print each value in its cell (default: when cells are large enough to read it). */
  showValues?: boolean;
}

// Anchor colors of the viridis scale (perceptually uniform, readable in grayscale), dark = low.
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];

function hexToRgb(hex: string): number[] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

/** Color of t in [0, 1] on the viridis scale (linear between anchors). */
export function viridis(t: number): string {
  const u = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const a = hexToRgb(VIRIDIS[i]);
  const b = hexToRgb(VIRIDIS[i + 1]);
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * (u - i)));
  return `rgb(${c.join(',')})`;
}

/** Integers as they are (counts), anything else with two decimals (weights, rates): short enough for a cell. */
function cellLabel(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** A labelled heatmap (attention weights, confusion matrices) with a color bar, as a standalone SVG. */
export function heatmapSvg(opts: HeatmapOptions): string {
  const { rows, cols, values } = opts;
  if (rows.length === 0 || cols.length === 0) throw new RnnkitError('heatmapSvg: needs at least one row and one column');
  if (values.length !== rows.length) throw new RnnkitError(`heatmapSvg: ${rows.length} row labels but ${values.length} rows of values`);
  values.forEach((r, i) => {
    if (r.length !== cols.length) throw new RnnkitError(`heatmapSvg: row ${i} has ${r.length} values but there are ${cols.length} column labels`);
  });
  const finite = values.flat().filter(Number.isFinite);
  const lo = opts.min ?? (finite.length ? Math.min(...finite) : 0);
  const hi = opts.max ?? (finite.length ? Math.max(...finite) : 1);
  const span = hi > lo ? hi - lo : 1;

  const cell = Math.max(10, Math.min(44, Math.floor(640 / Math.max(cols.length, rows.length))));
  const charW = 7;
  const rowLabelW = Math.min(160, 12 + charW * Math.max(...rows.map((r) => r.length)));
  const colLabelH = Math.min(160, 16 + charW * 0.72 * Math.max(...cols.map((c) => c.length)));
  const m = { left: rowLabelW + (opts.yLabel ? 24 : 0), top: 40, right: 90 };
  const gridW = cell * cols.length;
  const gridH = cell * rows.length;
  const width = Math.max(m.left + gridW + m.right, 280);
  const height = m.top + Math.max(gridH + colLabelH, 70) + (opts.xLabel ? 26 : 8);
  const showValues = opts.showValues ?? (cell >= 28 && rows.length * cols.length <= 400);

  const out: string[] = [svgOpen(width, height, opts.title)];
  values.forEach((r, i) => {
    r.forEach((v, j) => {
      const t = (v - lo) / span;
      const fill = Number.isFinite(v) ? viridis(t) : '#bbbbbb';
      const x = m.left + j * cell;
      const y = m.top + i * cell;
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}"><title>${escapeXml(`${rows[i]} / ${cols[j]}: ${v}`)}</title></rect>`);
      if (showValues && Number.isFinite(v)) {
        const ink = t > 0.6 ? '#000' : '#fff';
        out.push(`<text x="${px(x + cell / 2)}" y="${px(y + cell / 2 + 4)}" text-anchor="middle" font-size="10" fill="${ink}">${escapeXml(cellLabel(v))}</text>`);
      }
    });
  });
  rows.forEach((r, i) => {
    out.push(`<text x="${m.left - 6}" y="${px(m.top + i * cell + cell / 2 + 4)}" text-anchor="end">${escapeXml(r)}</text>`);
  });
  cols.forEach((c, j) => {
    const x = px(m.left + j * cell + cell / 2 + 4);
    const y = m.top + gridH + 8;
    out.push(`<text transform="translate(${x} ${y}) rotate(-45)" text-anchor="end">${escapeXml(c)}</text>`);
  });
  if (opts.xLabel) out.push(`<text x="${px(m.left + gridW / 2)}" y="${height - 8}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) {
    out.push(`<text transform="translate(14 ${px(m.top + gridH / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`);
  }
  // Color bar: 20 bands from low (bottom) to high (top), labelled at both ends.
  const barX = m.left + gridW + 20;
  const barH = Math.max(gridH, 60);
  for (let k = 0; k < 20; k++) {
    out.push(`<rect x="${barX}" y="${px(m.top + (barH * (19 - k)) / 20)}" width="14" height="${px(barH / 20 + 0.5)}" fill="${viridis((k + 0.5) / 20)}"/>`);
  }
  out.push(`<text x="${barX + 18}" y="${m.top + 10}">${escapeXml(formatTick(hi))}</text>`);
  out.push(`<text x="${barX + 18}" y="${px(m.top + barH)}">${escapeXml(formatTick(lo))}</text>`);
  out.push('</svg>');
  return out.join('\n');
}
