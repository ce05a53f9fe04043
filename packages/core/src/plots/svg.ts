/** Small pieces shared by the SVG charts: escaping, number formatting, "nice" axis ticks and colors. */

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Coordinates rounded to 0.01 px keep files small without visible change. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Tick label: up to 4 significant digits, exponent form for very large/small magnitudes. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** Round-number ticks (steps of 1, 2, 5 × 10^k) covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 6): { lo: number; hi: number; ticks: number[] } {
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return { lo, hi, ticks };
}

/** Okabe–Ito colors: distinguishable with the common forms of color blindness. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

export function svgOpen(width: number, height: number, title?: string): string {
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`;
  const bg = `<rect width="${width}" height="${height}" fill="white"/>`;
  const t = title ? `<title>${escapeXml(title)}</title><text x="${px(width / 2)}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>` : '';
  return head + bg + t;
}
