/**
 * `@rnnkit/core/charts`: core's SVG charts on their own (no tfjs, no Node), for code that only draws: a web page's
 * main thread while its model runs in a worker, a report generator. The same charts are in `@rnnkit/core` and
 * `@rnnkit/core/browser`.
 */
export { escapeXml } from './plots/svg.js';
export * from './plots/line-chart.js';
export * from './plots/heatmap.js';
export * from './plots/loss-curve.js';
