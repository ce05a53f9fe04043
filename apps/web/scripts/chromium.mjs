// Debian's Chromium for the playground's browser tests, screenshots and speed figures (never a downloaded browser;
// `.ci/run` installs it with apt), and the built site served over HTTP by Vite's static preview server.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium as root on a machine without a network or GPU: no sandbox (root), no background connections
 * (each would be refused), WebGL from SwiftShader (a CPU emulation of a GPU). `extraArgs` adds flags (the speech
 * page's test: a WAV file as the microphone).
 * @param {string[]} [extraArgs]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium(extraArgs = []) {
  if (!existsSync(CHROMIUM)) {
    // Fail, never skip: a playground test that silently does not run is a playground nobody checked.
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      ...extraArgs,
    ],
  });
}

/**
 * Serves a static folder on a free loopback port (or `port`).
 * @param {string} dir
 * @param {{ port?: number, host?: string }} [opts]
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function serveStatic(dir, opts = {}) {
  const host = opts.host ?? '127.0.0.1';
  const server = await preview({ configFile: false, logLevel: 'silent', build: { outDir: dir }, preview: { port: opts.port ?? 0, strictPort: opts.port !== undefined, host, open: false } });
  const address = /** @type {import('node:net').AddressInfo} */ (server.httpServer.address());
  return { url: `http://${host}:${address.port}/`, close: () => server.close() };
}
