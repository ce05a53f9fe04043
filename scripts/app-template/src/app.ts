import { loadAppModel, type AppDefinition } from '@rnnkit/core';
import { DEMO_CONFIG, configSchema, type AppConfig } from './config.js';
import { loadPredictor } from './load-model.js';
import { extrasSchema } from './model.js';
import { APP_NAME, exampleInput, type AppInput, type AppOutput } from './predictor.js';
import { evaluateAccuracy, makeSplits, trainApp } from './train.js';
import { APP_VERSION } from './version.js';

/** Test accuracy of a saved model, on the test split its training config generates. */
async function evaluate(modelDir: string) {
  const { model, config } = await loadAppModel(modelDir, APP_NAME, extrasSchema);
  try {
    const acc = evaluateAccuracy(model, makeSplits(configSchema.parse(config)).test);
    return { report: { accuracy: acc }, text: `test accuracy ${(acc * 100).toFixed(1)}%` };
  } finally {
    model.dispose();
  }
}

/** The app contract: the generated CLI (train, evaluate, predict, info, demo) and any server or page use this. */
export const app: AppDefinition<AppConfig, AppInput, AppOutput> = {
  name: APP_NAME,
  version: APP_VERSION,
  description: '__NAME__: an rnnkit app (toy task: is the sum of a sequence positive?)',
  configSchema,
  train: trainApp,
  evaluate: { description: 'test accuracy', run: (dir) => evaluate(dir) },
  loadPredictor,
  predict: {
    inputHelp: 'comma-separated numbers in [-1, 1], as many as the model reads',
    fromText: (text) => ({ sequence: text.split(',').map(Number) }),
    format: (o) => `${o.positive ? 'positive' : 'not positive'} (p = ${o.probability.toFixed(3)})`,
    example: exampleInput,
  },
  demo: {
    description: 'train on the toy task and print the test accuracy',
    defaults: DEMO_CONFIG,
    show: async (run, _config, ctx) => ctx.out((await evaluate(run.modelDir)).text),
  },
};
