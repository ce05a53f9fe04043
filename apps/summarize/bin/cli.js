#!/usr/bin/env node
// Committed launcher: npm links a package's bin at install time, before `dist/` is built, so the command must exist
// then. The same few lines stand in every app, because a bin must live inside its own package.
const built = new URL('../dist/cli.js', import.meta.url);
await import(built.href).catch((err) => {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(built.pathname)) throw err;
  process.exitCode = 1;
  process.stderr.write(`error: ${built.pathname} is not built yet; run \`npm run build\` at the repository root\n`);
});
