import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { heatmapSvg, imageGridPng, lineChartSvg, viridis } from '../src/plots/index.js';
// Rendering with resvg checks that the SVGs are well-formed and draw something; core itself ships no SVG rasterizer.
import { svgToPng } from './fixtures/svg-to-png.js';
import { niceTicks } from '../src/plots/svg.js';

const decode = (bytes: Uint8Array) => PNG.sync.read(Buffer.from(bytes));
const darkPixels = (png: PNG) => {
  let n = 0;
  for (let o = 0; o < png.data.length; o += 4) if (png.data[o] < 100 && png.data[o + 1] < 100 && png.data[o + 2] < 100) n++;
  return n;
};

describe('niceTicks', () => {
  it('picks 1/2/5 steps covering the range', () => {
    expect(niceTicks(0, 10).ticks).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.13, 0.87)).toEqual({ lo: 0, hi: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(5, 5).ticks.length).toBeGreaterThan(1);
  });
});

describe('lineChartSvg', () => {
  it('draws every series with legend, ticks, labels and escaped text', () => {
    const svg = lineChartSvg({
      title: 'loss <train & "val">',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        { name: 'train', x: [1, 2, 3, 4], y: [10, 6, 4, 0] },
        { name: 'val', x: [1, 2, 3, 4], y: [9, NaN, 5, 3], dashed: true },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('loss &lt;train &amp; &quot;val&quot;&gt;');
    expect(svg).not.toMatch(/href|<image|url\(/); // self-contained
    expect(svg.match(/<path /g)?.length).toBe(2);
    for (const t of ['>0<', '>2<', '>4<', '>6<', '>8<', '>10<', '>train<', '>val<', '>epoch<']) expect(svg).toContain(t);
    // The NaN splits the val line into two pieces.
    const valPath = svg.match(/<path d="([^"]+)"[^>]*stroke-dasharray/)?.[1] ?? '';
    expect(valPath.match(/M/g)?.length).toBe(2);
    expect(decode(svgToPng(svg)).width).toBe(800); // well-formed: resvg parses it
  });

  it('places ISO dates on a time axis and labels them as written', () => {
    const svg = lineChartSvg({ series: [{ name: 'close', x: ['2024-01-01', '2024-01-02', '2024-01-10'], y: [1, 2, 3] }] });
    expect(svg).toContain('>2024-01-01<');
    const xs = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    // Jan 2 is 1/9 of the way from Jan 1 to Jan 10.
    expect((xs[1] - xs[0]) / (xs[2] - xs[0])).toBeCloseTo(1 / 9, 2);
  });

  it('rejects bad input', () => {
    expect(() => lineChartSvg({ series: [] })).toThrow(/no series/);
    expect(() => lineChartSvg({ series: [{ name: 'a', x: [1, 2], y: [1] }] })).toThrow(/series 0 \("a"\) has 2 x values but 1 y values/);
    expect(() => lineChartSvg({ series: [{ name: 'a', x: [1], y: [1] }, { name: 'b', x: ['x'], y: [1] }] })).toThrow(/all numbers or all strings/);
    expect(() => lineChartSvg({ series: [{ name: 'a', x: [1], y: [NaN] }] })).toThrow(/no finite y/);
  });
});

describe('heatmapSvg', () => {
  it('draws one colored cell per value with labels and a color bar', () => {
    const svg = heatmapSvg({ title: 'attention', rows: ['le', 'chat'], cols: ['the', 'cat', '<eos>'], values: [[0.9, 0.1, 0], [0.2, 0.7, 0.1]] });
    expect(svg.match(/<\/title><\/rect>/g)?.length).toBe(6);
    expect(svg).toContain('&lt;eos&gt;');
    expect(svg).toContain(`fill="${viridis(1)}"><title>le / the: 0.9</title>`);
    expect(svg).toContain(`fill="${viridis(0)}"><title>le / &lt;eos&gt;: 0</title>`);
    expect(viridis(0)).toBe('rgb(68,1,84)');
    expect(viridis(1)).toBe('rgb(253,231,37)');
    expect(darkPixels(decode(svgToPng(svg)))).toBeGreaterThan(100);
  });

  it('rejects mismatched labels', () => {
    expect(() => heatmapSvg({ rows: ['a'], cols: ['x'], values: [[1], [2]] })).toThrow(/1 row labels but 2 rows/);
    expect(() => heatmapSvg({ rows: ['a'], cols: ['x', 'y'], values: [[1]] })).toThrow(/row 0 has 1 values but there are 2 column labels/);
  });
});

describe('imageGridPng', () => {
  it('lays out scaled images with pixel-font captions', () => {
    const white = { w: 2, h: 2, pixels: [1, 1, 1, 1], caption: '7' };
    const black = { w: 2, h: 2, pixels: [0, 0, 0, 0.5] };
    const png = decode(imageGridPng([white, black, white], { cols: 2, scale: 4 }));
    // cell 8x8 image + caption 5*fontScale+6; pad 4.
    expect(png.width).toBe(4 + 2 * (8 + 4));
    const at = (x: number, y: number) => png.data[(y * png.width + x) * 4];
    expect(at(4, 4)).toBe(255); // first image, white
    expect(at(16, 4)).toBe(0); // second image, black
    expect(at(16 + 7, 4 + 7)).toBe(128); // its gray bottom-right pixel, scaled ×4
    // Caption "7" (top row of the glyph is fully lit) drawn under the first image.
    const captionTop = 4 + 8 + 3;
    expect(at(4, captionTop)).toBe(0);
    expect(at(4, captionTop - 1)).toBe(225);
  });

  it('rejects bad images', () => {
    expect(() => imageGridPng([])).toThrow(/no images/);
    expect(() => imageGridPng([{ w: 2, h: 2, pixels: [1] }])).toThrow(/image 0 has 1 pixels, expected 2x2 = 4/);
  });
});

describe('svgToPng', () => {
  it('renders text with system fonts and rejects non-SVG input', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="5" y="28" font-size="24">Hello</text></svg>';
    const png = decode(svgToPng(svg, { width: 240 }));
    expect(png.width).toBe(240);
    expect(darkPixels(png)).toBeGreaterThan(50);
    expect(() => svgToPng('hello')).toThrow(/does not look like an SVG/);
    expect(() => svgToPng('<svg><unclosed')).toThrow(/could not render/);
  });
});
