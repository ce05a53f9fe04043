// The launcher behind every app's committed `bin/cli.js`. Plain JavaScript outside `dist/`, so that it works before
// anything is built: npm links a package's bin at install time, and a fresh clone has no `dist/` yet.
/** Imports the app's built CLI, or explains in one line that it is not built yet. */
export async function launch(cliUrl) {
  const built = new URL(cliUrl);
  try {
    await import(built.href);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(built.pathname)) throw err;
    process.exitCode = 1;
    process.stderr.write(`error: ${built.pathname} is not built yet; run \`npm run build\` at the repository root\n`);
  }
}
