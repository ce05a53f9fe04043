export { escapeXml } from './svg.js';
export * from './line-chart.js';
export * from './heatmap.js';
export * from './image-grid.js';
export * from './loss-curve.js';
