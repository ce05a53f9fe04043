import type { EpochLog } from '../train/types.js';
import { lineChartSvg } from './line-chart.js';

export interface LossCurveOptions {
  title?: string;
  /** Unit of the loss, e.g. 'nats/char'. Default 'loss'. */
  yLabel?: string;
}

/** Training and validation loss per epoch; epochs without a validation loss leave a gap in that line. */
export function lossCurveSvg(history: readonly EpochLog[], opts: LossCurveOptions = {}): string {
  const epochs = history.map((h) => h.epoch);
  const series = [{ name: 'train loss', x: epochs, y: history.map((h) => h.loss) }];
  if (history.some((h) => h.val_loss !== undefined)) {
    series.push({ name: 'validation loss', x: epochs, y: history.map((h) => h.val_loss ?? NaN) });
  }
  return lineChartSvg({ title: opts.title ?? 'Loss per epoch', xLabel: 'epoch', yLabel: opts.yLabel ?? 'loss', series });
}
