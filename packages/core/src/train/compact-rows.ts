import * as tf from '@tensorflow/tfjs';
import type { Batch } from './types.js';

/**
 * TrainConfig.sparseRows without the dense gradient of the lookup. The gradient tfjs builds for a gather from a
 * table is a scatter into a zero tensor of the table's full shape ([rows × width], 16 MiB for 65,537 sub-word
 * buckets of width 64), of which the row-wise step then keeps only the rows the batch read. Here, for one step, the
 * layer reads a compact table instead: the rows the batch reads (row 0 first, so that padding id 0 stays 0) with
 * the batch's ids renumbered into it, so that the gradient is [rows read × width]. The forward values are the same
 * float32 rows; the gradient rows are the same sums in the same order (the scatter-add adds a row's contributions in
 * the order the ids occur), so the update is the same bits.
 *
 * It applies to a table whose ids tensor is one of the batch's inputs (it is swapped for the renumbered ids) and
 * holds only ids in [0, rows); the model must read those inputs only through the table's layer and as a padding
 * mask (zero / non-zero), as an embedding layer does. Any other table keeps the dense gradient.
 */
export interface CompactTable {
  variable: string;
  /** The distinct rows the batch reads, increasing. */
  rows: Int32Array;
  /** 1 when row 0 was added in front of `rows` only to keep padding at id 0 (its gradient is not used), else 0. */
  offset: number;
  /** The rows the layer reads this step, [offset + rows.length, width]; the gradient is taken with respect to it. */
  values: tf.Tensor2D;
}

interface ReadableWeight {
  read(): tf.Tensor;
}

/**
 * The batch with the compacted tables' ids renumbered, the compact tables, and `restore` (call it in a finally:
 * until then the tables' layers read the compact rows). Tensors are made in the caller's tidy scope.
 */
export function compactTables(
  weights: readonly ReadableWeight[],
  vars: readonly tf.Variable[],
  tables: ReadonlyArray<{ variable: string; ids: tf.Tensor }>,
  batch: Batch,
): { batch: Batch; compact: CompactTable[]; restore: () => void } {
  const inputs = Array.isArray(batch.xs) ? [...batch.xs] : [batch.xs];
  const compact: CompactTable[] = [];
  const swapped: ReadableWeight[] = [];
  const restore = () => {
    for (const weight of swapped) delete (weight as Partial<ReadableWeight>).read;
  };
  try {
    for (const { variable, ids } of tables) {
      const table = vars.find((w) => w.name === variable);
      const input = inputs.indexOf(ids);
      // The layer's weight is found by the variable it holds (not by position: the trainable list can change).
      const weight = table && weights.find((w) => !Object.hasOwn(w, 'read') && w.read() === table);
      if (table === undefined || weight === undefined || input < 0) continue;
      const numRows = table.shape[0] ?? 0;
      const renumbered = renumber(ids.dataSync(), numRows);
      if (renumbered === null) continue;
      const width = table.size / numRows;
      const all = table.dataSync() as Float32Array;
      const { slots, offset } = renumbered;
      const packed = new Float32Array(slots.length * width);
      slots.forEach((row, i) => packed.set(all.subarray(row * width, (row + 1) * width), i * width));
      const values = tf.tensor2d(packed, [slots.length, width]);
      inputs[input] = tf.tensor(renumbered.ids, ids.shape, 'int32');
      // The layer reads its weight through read(): for this step it reads the compact rows.
      weight.read = () => values;
      swapped.push(weight);
      compact.push({ variable, rows: slots.subarray(offset), offset, values });
    }
  } catch (err) {
    restore();
    throw err;
  }
  const xs = Array.isArray(batch.xs) ? inputs : inputs[0];
  return { batch: compact.length === 0 ? batch : { ...batch, xs }, compact, restore };
}

/**
 * The distinct rows `ids` reads (with row 0 in front when it is not among them) and the ids renumbered into that
 * list, or null when an id is not an integer in [0, numRows) (that table keeps the dense path, which handles such
 * ids as it always did).
 */
function renumber(ids: ArrayLike<number>, numRows: number): { slots: Int32Array; offset: number; ids: Int32Array } | null {
  const position = new Int32Array(numRows).fill(-1);
  let count = 0;
  for (let i = 0; i < ids.length; i++) {
    const row = ids[i];
    if (!Number.isInteger(row) || row < 0 || row >= numRows) return null;
    if (position[row] < 0) {
      position[row] = 0;
      count += 1;
    }
  }
  const offset = numRows > 0 && position[0] < 0 ? 1 : 0;
  const slots = new Int32Array(offset + count);
  let n = offset;
  for (let row = 0; row < numRows && n < slots.length; row++) {
    if (position[row] === 0) {
      position[row] = n;
      slots[n++] = row;
    }
  }
  // Row 0, read or not, is slot 0 (slots[0] is 0 already): padding stays id 0.
  position[0] = 0;
  const renumbered = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) renumbered[i] = position[ids[i]];
  return { slots, offset, ids: renumbered };
}
