// The cell descriptor table is the single source of truth for cell types: layers take gates, states and the
// reference step from it, and a cell that native has no kernel for runs the reference loop even with the native
// addon loaded (instead of throwing inside the addon).
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { CELLS, CELL_TYPES, GATES, referenceRecurrent, runRecurrent, type CellDescriptor, type RecurrentSequenceArgs } from '../src/layers/recurrent-kernel.js';
import { activeFusedKernels, useFusedKernels, type FusedKernelModule } from '../src/layers/fused-kernels.js';
import { recurrent } from '../src/layers/recurrent.js';
import { cellSchema } from '../src/app/config.js';

const optedOut = process.env.RNNKIT_NATIVE === '0';
let native: FusedKernelModule | null = null;

beforeAll(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  native = activeFusedKernels();
});

afterEach(() => {
  (CELLS.simple as CellDescriptor).native = true;
  useFusedKernels(native);
});

describe('cell table', () => {
  it('lists every cell once, with gates and states that the layers use', () => {
    expect(CELL_TYPES).toEqual(['lstm', 'gru', 'simple']);
    expect(GATES).toEqual({ lstm: 4, gru: 3, simple: 1 });
    expect(cellSchema.options).toEqual(CELL_TYPES);
    for (const cell of CELL_TYPES) {
      const layer = recurrent({ cell, units: 3, returnState: true });
      const x = tf.input({ shape: [4, 2] });
      const outputs = layer.apply(x) as tf.SymbolicTensor[];
      expect(outputs).toHaveLength(1 + CELLS[cell].states); // the sequence output / last h, then the states
      expect(layer.getWeights()[0].shape).toEqual([2, CELLS[cell].gates * 3]);
    }
  });

  it.skipIf(optedOut)('a cell native does not know runs the reference loop with native loaded, with identical results', () => {
    expect(native, 'the native addon must be built').not.toBeNull();
    let fusedCalls = 0;
    useFusedKernels({
      ...native!,
      fusedRecurrentSequence: (a) => {
        fusedCalls++;
        return native!.fusedRecurrentSequence(a);
      },
    });
    const args: RecurrentSequenceArgs = {
      cell: 'simple',
      x: tf.randomUniform([2, 5, 3], -1, 1, 'float32', 1) as tf.Tensor3D,
      h0: tf.zeros([2, 4]) as tf.Tensor2D,
      c0: null,
      kernel: tf.randomUniform([3, 4], -1, 1, 'float32', 2) as tf.Tensor2D,
      recurrentKernel: tf.randomUniform([4, 4], -1, 1, 'float32', 3) as tf.Tensor2D,
      bias: tf.zeros([4]) as tf.Tensor1D,
      mask: null,
      goBackwards: false,
    };
    runRecurrent(args);
    expect(fusedCalls).toBe(1);
    (CELLS.simple as CellDescriptor).native = false;
    const viaTable = runRecurrent(args);
    expect(fusedCalls).toBe(1);
    const reference = referenceRecurrent(args);
    expect(Array.from(viaTable.outputs.dataSync())).toEqual(Array.from(reference.outputs.dataSync()));
  });
});
