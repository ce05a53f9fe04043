export * from './classification.js';
export * from './language.js';
export * from './forecast.js';
export * from './text.js';
export * from './quantile.js';
export * from './sample-stats.js';
