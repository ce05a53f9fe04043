/**
 * Per app: flags that make `train` tiny, and extra flags for `evaluate` (keep each app's run to a few seconds). Shared
 * by the contract test, the bad-input suite and the web playground's browser tests (`@rnnkit/contract-tests/tiny`).
 */
export const TINY: Record<string, { train: string[]; evaluate: string[] }> = {
  textgen: { train: ['--units', '16', '--embed-dim', '4', '--seq-len', '16', '--batch-size', '8', '--sample-length', '0'], evaluate: [] },
  chatbot: { train: ['--units', '8', '--embed-dim', '8', '--batch-size', '8'], evaluate: ['--max-replies', '5'] },
  'mnist-rows': { train: ['--cell', 'gru', '--units', '8', '--max-train', '256'], evaluate: [] },
  summarize: { train: ['--units', '8', '--embed-dim', '8', '--max-vocab', '500', '--batch-size', '8', '--max-val-batches', '1'], evaluate: ['--limit', '5', '--strategy', 'greedy'] },
  stocks: { train: ['--tickers', 'AAPL,MSFT', '--units', '4', '--folds', '2', '--fine-tune-epochs', '1'], evaluate: [] },
  translate: { train: ['--units', '8', '--embed-dim', '8', '--batch-size', '32', '--max-train-pairs', '200', '--epochs', '1'], evaluate: ['--limit', '20', '--max-beam', '3'] },
  sentiment: { train: ['--cell', 'gru', '--units', '8', '--embed-dim', '8', '--attention-units', '4', '--max-train', '500', '--no-baselines'], evaluate: ['--no-baselines'] },
  'spoken-digits': { train: ['--units', '8', '--max-train', '200', '--no-baselines'], evaluate: ['--no-baselines'] },
};
