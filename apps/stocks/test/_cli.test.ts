import { it, vi } from 'vitest';
async function cli(...args: string[]) {
  process.argv = ['node', 'rnnkit-stocks', ...args];
  vi.resetModules();
  await import('../src/cli.ts');
  console.log('exitCode', process.exitCode);
}
it('cli', async () => {
  process.env.RNNKIT_DATA_DIR = '/work/shared/datasets';
  const out = '/tmp/stk_cli_run';
  const mode = process.env.STK_CLI ?? 'demo';
  if (mode === 'demo') {
    await cli('demo', '--out', out, '--plot', out + '/demo.svg');
    await cli('evaluate', '--model', out + '/model', '--step', '2', '--plot', out + '/aapl2.svg', '--ticker', 'msft');
    await cli('forecast', '--model', out + '/model', '--ticker', 'AAPL', '--days', '5');
    await cli('forecast', '--model', out + '/model', '--ticker', 'AAPL', '--days', '6');
    await cli('forecast', '--model', out + '/model', '--ticker', 'IBM');
    await cli('train', '--tickers', 'FOO');
    await cli('train', '--lookback', 'x');
  } else {
    await cli(...JSON.parse(mode));
  }
}, 1_800_000);
