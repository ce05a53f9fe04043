import type * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import * as rnnkitLayers from '../layers/index.js';
import { CELLS, type CellType } from '../layers/recurrent-kernel.js';

/**
 * Rewrites a saved model's topology (model.json's modelTopology, tfjs's snake_case "Keras JSON") so that stock
 * tfjs-layers can build it: every RnnkitRecurrent becomes a tfjs LSTM / GRU / SimpleRNN and every
 * RnnkitBidirectional a tfjs Bidirectional around one, with the weights unchanged and only renamed where tfjs's
 * Bidirectional names them differently.
 *
 * Why the weights carry over as they are: rnnkit's cells use tfjs-layers' weight layout on purpose (see
 * recurrent-kernel.ts): kernel [D, G·U], recurrent_kernel [U, G·U] and ONE bias [G·U] with gate order LSTM i,f,c,o and
 * GRU z,r,h; the GRU applies the reset gate to h before the candidate's recurrent matmul, which is tfjs's GRUCell
 * (reset_after false, no separate recurrent bias); recurrent activation sigmoid (tfjs's default is hardSigmoid, so
 * it is set explicitly), activation tanh. Masks, go_backwards (sequence returned in processing order) and
 * Bidirectional's re-aligned backward outputs and [output, forward states, backward states] order also match.
 * The export command does not trust this reasoning: it runs both models and compares (plain-tfjs-check.ts).
 *
 * Layers that only rnnkit has (attention, the padding mask) cannot be rewritten: the model is refused.
 */

/** Config keys rnnkit's recurrent layers serialize (snake_case); anything else is an option the rewrite cannot keep. */
const KNOWN_KEYS = new Set([
  'cell', 'units', 'return_sequences', 'return_state', 'dropout', 'recurrent_dropout', 'go_backwards', 'merge_mode', 'seed',
  'name', 'trainable', 'dtype', 'batch_input_shape',
]);

/** Keys of the base layer config that belong on the outermost stock layer. */
const INPUT_KEYS = ['batch_input_shape', 'dtype'] as const;

// Partial: a future cell without a stock tfjs equivalent is refused by the rewrite, not a type error.
const STOCK_CLASS: Partial<Record<CellType, string>> = { lstm: 'LSTM', gru: 'GRU', simple: 'SimpleRNN' };

/** The class names of rnnkit's own layers (every exported layer class of core), found once. */
function rnnkitClassNames(): Set<string> {
  const names = new Set<string>();
  for (const value of Object.values(rnnkitLayers)) {
    const className = (value as { className?: unknown }).className;
    if (typeof value === 'function' && typeof className === 'string') names.add(className);
  }
  return names;
}

type Json = Record<string, unknown>;

/** Why a model cannot be exported to plain tfjs (the caller adds what to do instead). */
export class NotPlainTfjsError extends RnnkitError {}

export interface PlainTfjsModel {
  modelTopology: Json;
  /** The manifest entries with the names the stock layers give their weights; same order and shapes. */
  specs: tf.io.WeightsManifestEntry[];
  /** The rewritten layers: name, rnnkit class, stock class. */
  rewritten: { name: string; from: string; to: string }[];
}

/** A stock recurrent layer config for one rnnkit cell (snake_case, as model.json holds it). */
function stockRnnConfig(cell: CellType, src: Json, name: string, goBackwards: boolean): Json {
  // Zeros initializers: the saved weights overwrite them, and tfjs's Orthogonal initializer (its default for
  // recurrent kernels) runs a QR decomposition per layer at load time, slow for a few hundred units in a page.
  const zeros = { class_name: 'Zeros', config: {} };
  const config: Json = {
    name,
    trainable: src.trainable ?? true,
    units: src.units,
    activation: 'tanh',
    use_bias: true,
    kernel_initializer: zeros,
    recurrent_initializer: zeros,
    bias_initializer: zeros,
    dropout: src.dropout ?? 0,
    recurrent_dropout: src.recurrent_dropout ?? 0,
    return_sequences: src.return_sequences ?? false,
    return_state: src.return_state ?? false,
    go_backwards: goBackwards,
    stateful: false,
    unroll: false,
  };
  if (cell !== 'simple') config.recurrent_activation = 'sigmoid';
  if (cell === 'gru') config.reset_after = false;
  if (cell === 'lstm') config.unit_forget_bias = false;
  return config;
}

function rewriteLayer(
  node: Json,
  rename: Map<string, string>,
  rewritten: PlainTfjsModel['rewritten'],
): void {
  const from = node.class_name as string;
  const src = (node.config ?? {}) as Json;
  const name = String(src.name ?? node.name);
  const cell = src.cell;
  if (typeof cell !== 'string' || !Object.hasOwn(CELLS, cell) || !Object.hasOwn(STOCK_CLASS, cell)) {
    throw new NotPlainTfjsError(`layer "${name}" (${from}) uses cell ${JSON.stringify(cell)}, which has no stock tfjs layer`);
  }
  const extra = Object.keys(src).filter((k) => !KNOWN_KEYS.has(k));
  if (extra.length > 0) throw new NotPlainTfjsError(`layer "${name}" (${from}) has option(s) ${extra.join(', ')} that stock tfjs layers lack`);
  const stock = STOCK_CLASS[cell as CellType]!;
  const outer: Json = {};
  for (const key of INPUT_KEYS) if (src[key] !== undefined) outer[key] = src[key];
  if (from === 'RnnkitRecurrent') {
    node.class_name = stock;
    node.config = { ...stockRnnConfig(cell as CellType, src, name, src.go_backwards === true), ...outer };
    rewritten.push({ name, from, to: stock });
    return;
  }
  // tfjs's Bidirectional builds `forward_<inner>` and `backward_<inner>` copies of its inner layer, whose weights are
  // named "<layer>/forward_<inner>/kernel"; rnnkit's are "<layer>/forward_kernel".
  const inner = name;
  node.class_name = 'Bidirectional';
  node.config = {
    name,
    trainable: src.trainable ?? true,
    merge_mode: src.merge_mode ?? 'concat',
    layer: { class_name: stock, config: stockRnnConfig(cell as CellType, src, inner, false) },
    ...outer,
  };
  for (const direction of ['forward', 'backward']) {
    for (const weight of ['kernel', 'recurrent_kernel', 'bias']) {
      rename.set(`${name}/${direction}_${weight}`, `${name}/${direction}_${inner}/${weight}`);
    }
  }
  rewritten.push({ name, from, to: `Bidirectional(${stock})` });
}

/**
 * The topology and weight entries of `modelTopology` with rnnkit's recurrent layers rewritten as stock tfjs layers.
 * Throws NotPlainTfjsError naming the layers that only rnnkit has (attention, ...) or the first that cannot be rewritten.
 */
export function toPlainTfjs(modelTopology: object, specs: tf.io.WeightsManifestEntry[]): PlainTfjsModel {
  const topology = structuredClone(modelTopology) as Json;
  const own = rnnkitClassNames();
  const rename = new Map<string, string>();
  const rewritten: PlainTfjsModel['rewritten'] = [];
  const ownLayers: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const obj = node as Json;
    const className = obj.class_name;
    if (className === 'RnnkitRecurrent' || className === 'RnnkitBidirectional') {
      rewriteLayer(obj, rename, rewritten);
      return;
    }
    if (typeof className === 'string' && own.has(className)) {
      const name = (obj.config as Json | undefined)?.name ?? obj.name;
      ownLayers.push(`${String(name)} (${className})`);
      return;
    }
    for (const value of Object.values(obj)) visit(value);
  };
  visit(topology);
  if (ownLayers.length > 0) {
    // All of them, so the message shows why (an attention layer says more than the padding mask found first).
    const shown = ownLayers.length > 4 ? [...ownLayers.slice(0, 4), `${ownLayers.length - 4} more`] : ownLayers;
    throw new NotPlainTfjsError(`it uses rnnkit's own layers, which stock tfjs has no equivalent of: ${shown.join(', ')}`);
  }
  const outSpecs = specs.map((s) => (rename.has(s.name) ? { ...s, name: rename.get(s.name)! } : { ...s }));
  const missing = [...rename.keys()].filter((n) => !specs.some((s) => s.name === n));
  if (missing.length > 0) throw new NotPlainTfjsError(`weight "${missing[0]}" of a bidirectional layer is missing from the manifest`);
  return { modelTopology: topology, specs: outSpecs, rewritten };
}
