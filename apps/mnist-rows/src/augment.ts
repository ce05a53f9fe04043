import type { Rng } from '@rnnkit/core/browser';

/**
 * Training-time data augmentation: every time an image is used it is redrawn through a small random geometric
 * transform, so 9,000 training digits act like many more. The kinds:
 * - `flip`: a left-right mirror image, half of the time. Clothing photographed from the front is as likely
 *   mirrored (a shoe pointing left or right); a mirrored digit is not a digit, so this is for Fashion-MNIST only;
 * - `flip-shift`: `flip` plus a shift by whole pixels (no resampling, so no blur of fine texture);
 * - `affine`: rotation, scale, shear and shift (a pen at a slightly different angle and place);
 * - `elastic`: the affine transform plus a smooth random displacement field, the distortion of Simard et al.
 *   (2003): uniform noise per pixel, Gaussian-blurred, scaled (a hand that wobbles).
 * `flip` and `flip-shift` copy pixels exactly; `affine` and `elastic` sample bilinearly from the source image.
 * Outside the source image is 0; output pixels are scaled to 0..1.
 * Images are only ever augmented while training; validation, test and prediction read the image as it is
 * (`evaluate --tta flip` adds its exact mirror as a second view: evaluate.ts).
 */

export const AUGMENTATIONS = ['off', 'flip', 'flip-shift', 'affine', 'elastic'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

/**
 * Test-time augmentation (evaluation only, evaluate.ts): `flip` classifies each image and its exact left-right
 * mirror and averages the two class-probability vectors. For a model trained with `--augment flip` both views are
 * images like those it trained on, and its mistakes on the two are partly independent. The predictor reads an
 * image once.
 */
export const TTA_MODES = ['off', 'flip'] as const;
export type Tta = (typeof TTA_MODES)[number];

/** The transform ranges; each parameter is drawn uniformly from [-max, max] per image. */
export const AUGMENT_RANGES = {
  rotationDeg: 12,
  /** Relative scale change: 0.1 draws a scale in [0.9, 1.1]. */
  scale: 0.1,
  shearDeg: 10,
  /** Shift in pixels, in each direction. */
  shift: 2,
  /** `flip-shift`: shift in whole pixels, in each direction. */
  wholePixelShift: 2,
  /** Elastic field: per-pixel uniform noise in [-1, 1], blurred with this Gaussian sigma (pixels)... */
  elasticSigma: 4,
  /** ...then scaled so that its largest displacement is this many pixels. */
  elasticPixels: 2,
} as const;

/** A 2×2 matrix [a, b; c, d] applied to (x, y) → (a x + b y, c x + d y). */
type Mat2 = [number, number, number, number];

function randomAffineInverse(rng: Rng): Mat2 {
  const uniform = (max: number): number => (rng() * 2 - 1) * max;
  const theta = (uniform(AUGMENT_RANGES.rotationDeg) * Math.PI) / 180;
  const shear = Math.tan((uniform(AUGMENT_RANGES.shearDeg) * Math.PI) / 180);
  const scale = 1 + uniform(AUGMENT_RANGES.scale);
  // Forward map: rotate ∘ shear ∘ scale. Sampling needs its inverse: from an output pixel back to the source.
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const a = cos * scale;
  const b = (cos * shear - sin) * scale;
  const c = sin * scale;
  const d = (sin * shear + cos) * scale;
  const det = a * d - b * c;
  return [d / det, -b / det, -c / det, a / det];
}

/** Gaussian kernels by sigma: every elastic draw blurs two fields with the same one, so it is built once. */
const kernels = new Map<number, Float32Array>();

/** The unnormalized 1-D Gaussian kernel exp(-k²/2σ²) for k in [-⌈3σ⌉, ⌈3σ⌉] (shared: do not modify). */
export function gaussianKernel(sigma: number): Float32Array {
  let kernel = kernels.get(sigma);
  if (!kernel) {
    const radius = Math.ceil(3 * sigma);
    kernel = new Float32Array(2 * radius + 1);
    for (let k = -radius; k <= radius; k++) kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
    kernels.set(sigma, kernel);
  }
  return kernel;
}

/** A separable Gaussian blur of a rows×cols field (zero outside), in place. */
export function gaussianBlur(field: Float32Array, rows: number, cols: number, sigma: number): void {
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const tmp = new Float32Array(field.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k;
        if (xx >= 0 && xx < cols) s += kernel[k + radius] * field[y * cols + xx];
      }
      tmp[y * cols + x] = s;
    }
  }
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k;
        if (yy >= 0 && yy < rows) s += kernel[k + radius] * tmp[yy * cols + x];
      }
      field[y * cols + x] = s;
    }
  }
}

/** A smooth random displacement field of `rows × cols` whose largest displacement is `elasticPixels`. */
function elasticField(rows: number, cols: number, rng: Rng): Float32Array {
  const field = new Float32Array(rows * cols);
  for (let i = 0; i < field.length; i++) field[i] = rng() * 2 - 1;
  gaussianBlur(field, rows, cols, AUGMENT_RANGES.elasticSigma);
  // Blurring shrinks the noise by an amount that depends on sigma; scaling by the field's own peak keeps the
  // strength in pixels whatever sigma is.
  let peak = 0;
  for (const v of field) peak = Math.max(peak, Math.abs(v));
  const gain = peak > 0 ? AUGMENT_RANGES.elasticPixels / peak : 0;
  for (let i = 0; i < field.length; i++) field[i] *= gain;
  return field;
}

/** Bilinear sample of a uint8 image at (x, y), 0 outside; pixel centres at integer coordinates. */
function sample(src: Uint8Array, offset: number, rows: number, cols: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number): number => (xx >= 0 && xx < cols && yy >= 0 && yy < rows ? src[offset + yy * cols + xx] : 0);
  return (
    (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
    fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1))
  );
}

/**
 * A mirror image (`flip`, drawn with probability 1/2) shifted by whole pixels (`maxShift` in each direction,
 * drawn uniformly from the 2·maxShift+1 integers): an exact copy of pixels, 0 where the shift uncovers the frame.
 * Draw order: flip, x shift, y shift.
 */
function flipShift(
  src: Uint8Array, offset: number, rows: number, cols: number, maxShift: number, rng: Rng, out: Float32Array, outOffset: number,
): void {
  const flip = rng() < 0.5;
  const shiftDraw = (): number => Math.min(2 * maxShift, Math.floor(rng() * (2 * maxShift + 1))) - maxShift;
  const tx = maxShift > 0 ? shiftDraw() : 0;
  const ty = maxShift > 0 ? shiftDraw() : 0;
  for (let y = 0; y < rows; y++) {
    const sy = y - ty;
    for (let x = 0; x < cols; x++) {
      const shifted = x - tx;
      const sx = flip ? cols - 1 - shifted : shifted;
      const inside = sy >= 0 && sy < rows && sx >= 0 && sx < cols;
      out[outOffset + y * cols + x] = inside ? src[offset + sy * cols + sx] / 255 : 0;
    }
  }
}

/**
 * Writes one randomly transformed copy of the image at `offset` in `src` (rows×cols bytes) into `out` at
 * `outOffset`, scaled to 0..1. `kind` 'off' copies the image unchanged.
 */
export function augmentImage(
  src: Uint8Array,
  offset: number,
  rows: number,
  cols: number,
  kind: Augmentation,
  rng: Rng,
  out: Float32Array,
  outOffset: number,
): void {
  if (kind === 'off') {
    for (let p = 0; p < rows * cols; p++) out[outOffset + p] = src[offset + p] / 255;
    return;
  }
  if (kind === 'flip' || kind === 'flip-shift') {
    flipShift(src, offset, rows, cols, kind === 'flip' ? 0 : AUGMENT_RANGES.wholePixelShift, rng, out, outOffset);
    return;
  }
  const [ia, ib, ic, id] = randomAffineInverse(rng);
  const tx = (rng() * 2 - 1) * AUGMENT_RANGES.shift;
  const ty = (rng() * 2 - 1) * AUGMENT_RANGES.shift;
  const dx = kind === 'elastic' ? elasticField(rows, cols, rng) : undefined;
  const dy = kind === 'elastic' ? elasticField(rows, cols, rng) : undefined;
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      // Output pixel → (undo the shift) → (undo rotate/shear/scale about the centre) → source coordinates.
      const u = x - cx - tx;
      const v = y - cy - ty;
      let sx = ia * u + ib * v + cx;
      let sy = ic * u + id * v + cy;
      if (dx && dy) {
        sx += dx[y * cols + x];
        sy += dy[y * cols + x];
      }
      out[outOffset + y * cols + x] = sample(src, offset, rows, cols, sx, sy) / 255;
    }
  }
}
