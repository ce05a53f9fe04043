import { RnnkitError } from '../errors.js';
import { escapeXml, formatTick, niceTicks, PALETTE, px, svgOpen } from './svg.js';

export interface LineSeries {
  name: string;
  /** Numbers, or strings: ISO dates ("2024-01-31") are placed on a time axis, other strings as categories. */
  x: readonly number[] | readonly string[];
  /** Non-finite values leave a gap in the line. */
  y: readonly number[];
  color?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: LineSeries[];
  width?: number;
  height?: number;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** Maps every series' x values to numbers and yields tick positions/labels for the x axis. */
function xAxis(series: LineSeries[]): { pos: number[][]; ticks: { at: number; label: string }[] } {
  const numeric = series.every((s) => s.x.every((v) => typeof v === 'number'));
  const textual = series.every((s) => s.x.every((v) => typeof v === 'string'));
  if (!numeric && !textual) throw new RnnkitError('lineChartSvg: x values must be all numbers or all strings');
  if (numeric) {
    const pos = series.map((s) => s.x as number[]);
    const all = pos.flat().filter(Number.isFinite);
    const { ticks } = niceTicks(Math.min(...all), Math.max(...all));
    return { pos, ticks: ticks.map((t) => ({ at: t, label: formatTick(t) })) };
  }
  const labels = series.flatMap((s) => s.x as string[]);
  const dates = labels.every((v) => ISO_DATE.test(v) && !Number.isNaN(Date.parse(v)));
  const index = new Map<string, number>();
  if (dates) {
    for (const v of labels) index.set(v, Date.parse(v));
  } else {
    for (const v of labels) if (!index.has(v)) index.set(v, index.size);
  }
  // Label about 6 of the distinct values, spread evenly, with their own text (dates stay readable as written).
  const distinct = [...index.entries()].sort((a, b) => a[1] - b[1]);
  const every = Math.max(1, Math.ceil(distinct.length / 6));
  const ticks = distinct.filter((_, i) => i % every === 0).map(([label, at]) => ({ at, label: dates ? label.slice(0, 10) : label }));
  return { pos: series.map((s) => (s.x as string[]).map((v) => index.get(v) as number)), ticks };
}

/** A line chart of one or more series with axes, ticks, axis labels, a legend and a title, as a standalone SVG. */
export function lineChartSvg(opts: LineChartOptions): string {
  const { series } = opts;
  if (series.length === 0) throw new RnnkitError('lineChartSvg: no series given');
  series.forEach((s, i) => {
    if (s.x.length !== s.y.length) {
      throw new RnnkitError(`lineChartSvg: series ${i} ("${s.name}") has ${s.x.length} x values but ${s.y.length} y values`);
    }
  });
  const ys = series.flatMap((s) => s.y.filter(Number.isFinite));
  if (ys.length === 0) throw new RnnkitError('lineChartSvg: no finite y values to plot');
  const width = opts.width ?? 800;
  const height = opts.height ?? 420;
  const m = { left: 76, right: 24, top: 58, bottom: opts.xLabel ? 64 : 44 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;

  const { pos, ticks: xTicks } = xAxis(series);
  const xs = pos.flat().filter(Number.isFinite);
  let xMin = Math.min(...xs, ...xTicks.map((t) => t.at));
  let xMax = Math.max(...xs, ...xTicks.map((t) => t.at));
  if (xMin === xMax) {
    xMin -= 1;
    xMax += 1;
  }
  const y = niceTicks(Math.min(...ys), Math.max(...ys));
  const sx = (v: number) => m.left + ((v - xMin) / (xMax - xMin)) * plotW;
  const sy = (v: number) => m.top + plotH - ((v - y.lo) / (y.hi - y.lo)) * plotH;

  const out: string[] = [svgOpen(width, height, opts.title)];
  // Grid and y ticks.
  for (const t of y.ticks) {
    out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${px(sy(t))}" y2="${px(sy(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${px(sy(t) + 4)}" text-anchor="end">${escapeXml(formatTick(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = px(sx(t.at));
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top + plotH}" y2="${m.top + plotH + 5}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${m.top + plotH + 19}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  if (opts.xLabel) out.push(`<text x="${px(m.left + plotW / 2)}" y="${height - 14}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) {
    const cy = px(m.top + plotH / 2);
    out.push(`<text transform="translate(16 ${cy}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`);
  }
  // Lines, broken at non-finite values; small markers when a series is short enough for them to help.
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    let d = '';
    let pen = false;
    const marks: string[] = [];
    s.y.forEach((v, j) => {
      const xv = pos[i][j];
      if (!Number.isFinite(v) || !Number.isFinite(xv)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${px(sx(xv))} ${px(sy(v))}`;
      pen = true;
      if (s.y.length <= 40) marks.push(`<circle cx="${px(sx(xv))}" cy="${px(sy(v))}" r="2.5" fill="${color}"/>`);
    });
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<path d="${d}" fill="none" stroke="${escapeXml(color)}" stroke-width="1.8"${dash}><title>${escapeXml(s.name)}</title></path>`, ...marks);
  });
  // Legend: one row above the plot.
  let lx = m.left;
  series.forEach((s, i) => {
    const color = escapeXml(s.color ?? PALETTE[i % PALETTE.length]);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="42" y2="42" stroke="${color}" stroke-width="2.5"${dash}/>`);
    out.push(`<text x="${lx + 28}" y="46">${escapeXml(s.name)}</text>`);
    lx += 40 + 7 * s.name.length;
  });
  out.push('</svg>');
  return out.join('\n');
}
