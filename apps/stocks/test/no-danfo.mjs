// `node --import ./test/no-danfo.mjs dist/cli.js ...`: makes importing danfojs-node fail, so a command that runs
// to completion under it provably never loaded danfo (cli.test.ts).
import { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === 'danfojs-node' || specifier.startsWith('danfojs-node/')) throw new Error('no-danfo.mjs: danfojs-node was imported');
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
