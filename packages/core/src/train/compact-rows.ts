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
 * The batch with the compacted tables' ids renumbered, the compact tables by variable name, and `restore` (call it in a finally:
 * until then the tables' layers read the compact rows). Tensors are made in the caller's tidy scope.
 */
export function compactTables(
  weights: readonly ReadableWeight[],
  vars: readonly tf.Variable[],
  tables: ReadonlyArray<{ variable: string; ids: tf.Tensor }>,
  batch: Batch,
): { batch: Batch; compact: Map<string, CompactTable>; restore: () => void } {
  const inputs = Array.isArray(batch.xs) ? [...batch.xs] : [batch.xs];
  const compact = new Map<string, CompactTable>();
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
      compact.set(variable, { variable, rows: slots.subarray(offset), offset, values });
    }
  } catch (err) {
    restore();
    throw err;
  }
  const xs = Array.isArray(batch.xs) ? inputs : inputs[0];
  return { batch: compact.size === 0 ? batch : { ...batch, xs }, compact, restore };
}

/**
 * The distinct rows `ids` reads, increasing. An id outside [0, numRows) is clamped into it (the row the dense path's
 * gather reads for it); with `strict`, an id that is not an integer in [0, numRows) gives null instead.
 */
export function distinctRows(ids: ArrayLike<number>, numRows: number, strict: true): Int32Array | null;
export function distinctRows(ids: ArrayLike<number>, numRows: number, strict?: false): Int32Array;
export function distinctRows(ids: ArrayLike<number>, numRows: number, strict = false): Int32Array | null {
  const seen = new Uint8Array(numRows);
  let count = 0;
  for (let i = 0; i < ids.length; i++) {
    let row = ids[i];
    if (!Number.isInteger(row) || row < 0 || row >= numRows) {
      if (strict) return null;
      row = Math.min(Math.max(Math.trunc(row), 0), numRows - 1);
    }
    if (seen[row] === 0) {
      seen[row] = 1;
      count += 1;
    }
  }
  const rows = new Int32Array(count);
  for (let row = 0, n = 0; n < count; row++) if (seen[row] === 1) rows[n++] = row;
  return rows;
}

/**
 * The rows `ids` reads with row 0 in front when it is not among them (padding stays id 0), and the ids renumbered
 * into that list; null when an id is not an integer in [0, numRows) (that table keeps the dense path, which handles
 * such ids as it always did).
 */
function renumber(ids: ArrayLike<number>, numRows: number): { slots: Int32Array; offset: number; ids: Int32Array } | null {
  const rows = distinctRows(ids, numRows, true);
  if (rows === null) return null;
  const offset = numRows > 0 && rows[0] !== 0 ? 1 : 0;
  const slots = new Int32Array(offset + rows.length);
  slots.set(rows, offset);
  const position = new Int32Array(numRows);
  slots.forEach((row, slot) => {
    position[row] = slot;
  });
  const renumbered = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) renumbered[i] = position[ids[i]];
  return { slots, offset, ids: renumbered };
}
