import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';

/**
 * Pools a padded sequence over time, looking only at the real positions: inputs [values [B, T, D], mask [B, T]]
 * (1 = token, 0 = padding, e.g. from `paddingMask`), output [B, D]. `max` takes each feature's largest value over
 * the real positions, `mean` their average. tfjs's global pooling layers ignore masks, so a padded text would pool
 * over its padding and its result would depend on the batch it is in.
 */

export const MASKED_POOLING_MODES = ['max', 'mean'] as const;
export type MaskedPoolingMode = (typeof MASKED_POOLING_MODES)[number];

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** What masked-out positions are moved to before the max: far below any activation. */
const MASKED_VALUE = -1e9;

export class MaskedPooling extends tf.layers.Layer {
  static className = 'RnnkitMaskedPooling';
  readonly mode: MaskedPoolingMode;

  constructor(cfg: { mode: MaskedPoolingMode } & LayerArgs) {
    if (!(MASKED_POOLING_MODES as readonly string[]).includes(cfg.mode)) {
      throw new RnnkitError(`MaskedPooling: mode must be one of ${MASKED_POOLING_MODES.join(', ')}, got ${String(cfg.mode)}`);
    }
    super(cfg);
    this.mode = cfg.mode;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const values = (inputShape as tf.Shape[])[0];
    if (!Array.isArray(values) || values.length !== 3) throw new RnnkitError(`layer '${this.name}': expected [values [B, T, D], mask [B, T]] inputs`);
    return [values[0], values[2]];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [values, mask] = Array.isArray(inputs) ? inputs : [];
      if (!values || !mask || values.rank !== 3 || mask.rank !== 2) throw new RnnkitError(`layer '${this.name}': expected [values [B, T, D], mask [B, T]]`);
      const m = tf.expandDims(mask, 2);
      if (this.mode === 'max') return tf.max(tf.add(tf.mul(values, m), tf.mul(tf.sub(1, m), MASKED_VALUE)), 1);
      // A row without any real position (only padding) pools to 0 rather than 0 / 0 (under max it pools to -1e9).
      return tf.div(tf.sum(tf.mul(values, m), 1), tf.maximum(tf.sum(m, 1), 1));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { mode: this.mode, ...super.getConfig() };
  }
}

tf.serialization.registerClass(MaskedPooling);

export function maskedPooling(opts: { mode: MaskedPoolingMode; name?: string }): MaskedPooling {
  return new MaskedPooling(opts);
}
