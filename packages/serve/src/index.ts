export * from './server.js';
export * from './models.js';
export * from './runner.js';
export * from './sessions.js';
export * from './metrics.js';
export * from './openapi.js';
export { APP_PACKAGES, findApp, isAppDefinition, type AnyApp } from './apps.js';
export { buildServeProgram, defaultWebDir, runServeCli, serve, type ServeFlags } from './program.js';
export { contentTypeOf, staticFile, STATIC_ROUTE } from './static.js';
