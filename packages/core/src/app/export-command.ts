import { Option, type Command } from 'commander';
import { RnnkitError } from '../errors.js';
import { EXPORT_MANIFEST, PLAIN_TFJS_TOLERANCE, exportModel, type ExportManifest } from '../io/export-web.js';
import { QUANTIZATIONS, type Quantization } from '../io/quantize.js';
import type { AppDefinition, CommandContext, CommandHelpers } from './definition.js';
import { checkModelApp } from './model.js';

/**
 * `rnnkit-<app> export MODEL_DIR --web OUT_DIR | --plain-tfjs OUT_DIR [--quantize none|float16|uint8] [--overwrite]`:
 * the same command in every app (the work is in io/export-web.ts); the app only decides which models it accepts.
 */

interface ExportFlags extends Record<string, unknown> {
  model?: string;
  web?: string;
  plainTfjs?: string;
  quantize: Quantization;
  overwrite?: boolean;
  json?: boolean;
}

const kb = (bytes: number) => (bytes < 10_000 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

function formatExport(m: ExportManifest, modelDir: string, outDir: string): string {
  const width = Math.max(...m.files.map((f) => f.name.length));
  const lines = [
    `exported ${m.app?.name ?? 'model'} ${modelDir} → ${outDir} (${m.kind}, weights ${m.quantization === 'none' ? 'float32' : m.quantization})`,
    ...m.files.map((f) => `  ${f.name.padEnd(width)}  ${kb(f.bytes).padStart(10)}  (gzip ${kb(f.gzipBytes)})`),
    `download: ${kb(m.totalBytes)} (gzip ${kb(m.totalGzipBytes)}); source weights ${kb(m.source.weightsBytes)}; ${EXPORT_MANIFEST} lists sizes and SHA-256`,
  ];
  const batch = m.check.batch.map((s) => s.join('×')).join(', ');
  if (m.kind === 'web') {
    lines.push(`check: loads with rnnkit's loader; max |output difference| vs the source model on a ${batch} test batch: ${m.check.maxAbsDiff.toExponential(2)}`);
  } else {
    for (const r of m.check.rewritten ?? []) lines.push(`  ${r.name}: ${r.from} → ${r.to}`);
    lines.push(
      `check: plain tfjs in a fresh process (no rnnkit) vs rnnkit on a ${batch} test batch: max |output difference| ` +
        `${m.check.maxAbsDiff.toExponential(2)} (< ${PLAIN_TFJS_TOLERANCE.toExponential(0)})`,
    );
    if (m.check.quantizationDiff !== undefined) {
      lines.push(`quantization: max |output difference| vs the float32 source model: ${m.check.quantizationDiff.toExponential(2)}`);
    }
  }
  return lines.join('\n');
}

export function exportCommand(app: AppDefinition<any, any, any>, h: CommandHelpers): Command {
  const cmd = h
    .command('export', 'write a model for the web (--web) or for plain tfjs without rnnkit (--plain-tfjs)')
    .argument('[model_dir]', 'model directory, or a training run directory holding model/')
    .option('--model <dir>', 'the model directory, as in the other commands (instead of MODEL_DIR)')
    .option('--web <out_dir>', 'model.json, weight files, rnnkit.json and manifest.json for a web page (@rnnkit/core/browser)')
    .option('--plain-tfjs <out_dir>', "the same with rnnkit's recurrent layers rewritten as stock tfjs layers (tf.loadLayersModel, no rnnkit)")
    .addOption(new Option('--quantize <mode>', 'how the weights are stored: float32 (none), float16 or uint8').choices([...QUANTIZATIONS]).default('none'))
    .option('--overwrite', 'replace OUT_DIR when it holds an earlier export');
  return h.action<ExportFlags>(cmd, async (flags, ctx: CommandContext, args) => {
    const [positional] = args;
    if (positional !== undefined && flags.model !== undefined) throw new RnnkitError('give the model directory as MODEL_DIR or with --model, not both');
    const modelDir = positional ?? flags.model;
    if (modelDir === undefined) throw new RnnkitError('export: give the model directory (MODEL_DIR)');
    if ((flags.web === undefined) === (flags.plainTfjs === undefined)) throw new RnnkitError('export: give exactly one of --web OUT_DIR and --plain-tfjs OUT_DIR');
    const kind = flags.web !== undefined ? 'web' : 'plain-tfjs';
    const outDir = (flags.web ?? flags.plainTfjs)!;
    const resolved = await checkModelApp(modelDir, app.name);
    const manifest = await exportModel({ modelDir: resolved, outDir, kind, quantize: flags.quantize, overwrite: flags.overwrite === true });
    if (ctx.json) ctx.out(JSON.stringify(manifest));
    else ctx.out(formatExport(manifest, resolved, outDir));
  });
}
