import type { LoadedModelArtifacts, Predictor } from '@rnnkit/core/browser';

/** The apps the playground runs, by the folder name their model is published under (models/<app>/). */
export const APP_NAMES = ['textgen', 'mnist-rows', 'stocks', 'summarize', 'chatbot', 'sentiment', 'translate', 'spoken-digits'] as const;
export type AppName = (typeof APP_NAMES)[number];

/** What every app's browser-safe predictor module exports (`@rnnkit/<app>/predictor`). */
interface PredictorModule {
  predictorFromArtifacts(loaded: LoadedModelArtifacts): Predictor;
}

/**
 * Each app's predictor module, imported only when a page needs it: Vite splits each into its own chunk, so the
 * digits page never downloads the summarizer's code.
 */
export const PREDICTOR_MODULES: Record<AppName, () => Promise<PredictorModule>> = {
  textgen: () => import('@rnnkit/textgen/predictor') as Promise<PredictorModule>,
  'mnist-rows': () => import('@rnnkit/mnist-rows/predictor') as Promise<PredictorModule>,
  stocks: () => import('@rnnkit/stocks/predictor') as Promise<PredictorModule>,
  summarize: () => import('@rnnkit/summarize/predictor') as Promise<PredictorModule>,
  chatbot: () => import('@rnnkit/chatbot/predictor') as Promise<PredictorModule>,
  sentiment: () => import('@rnnkit/sentiment/predictor') as Promise<PredictorModule>,
  translate: () => import('@rnnkit/translate/predictor') as Promise<PredictorModule>,
  'spoken-digits': () => import('@rnnkit/spoken-digits/predictor') as Promise<PredictorModule>,
};

export function isAppName(name: string): name is AppName {
  return (APP_NAMES as readonly string[]).includes(name);
}
