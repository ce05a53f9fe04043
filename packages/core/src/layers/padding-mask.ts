import * as tf from '@tensorflow/tfjs';

/**
 * Token ids [B, S] → float mask [B, S] (1 for real tokens, 0 for the padding id 0), as a layer so the mask is part
 * of a saved model graph (an attention layer takes it as its explicit third input).
 */
export class PaddingMask extends tf.layers.Layer {
  static className = 'RnnkitPaddingMask';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.cast(tf.notEqual(ids, 0), 'float32');
    });
  }
}

tf.serialization.registerClass(PaddingMask);

export function paddingMask(opts: { name?: string } = {}): PaddingMask {
  return new PaddingMask(opts);
}
