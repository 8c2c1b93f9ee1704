// The conv filter gradient we register for the wasm backend: against the cpu backend's built-in
// kernel, against central finite differences, inside a tf.layers conv autoencoder, and for leaks.
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import {
  registerWasmConvGradients,
  ConvGradientError,
  setConvFilterGradientMethod,
  type ConvFilterGradientMethod,
} from "../../lib/backend/wasm/conv-gradient";
import { createRng } from "../../lib/random";

type Shape4D = [number, number, number, number];
type Pad =
  | "same"
  | "valid"
  | number
  | [[number, number], [number, number], [number, number], [number, number]];

const KERNEL = "Conv2DBackpropFilter";
const METHODS: ConvFilterGradientMethod[] = ["im2col", "dilated", "auto"];

/** Run `check` once per filter-gradient method, back to "auto" afterwards. */
async function forEachMethod(
  check: (method: ConvFilterGradientMethod) => Promise<void>,
): Promise<void> {
  try {
    for (const method of METHODS) {
      setConvFilterGradientMethod(method);
      await check(method);
    }
  } finally {
    setConvFilterGradientMethod("auto");
  }
}

before(async () => {
  const dist = path.dirname(
    require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"),
  );
  wasm.setWasmPaths(dist + path.sep);
  assert.ok(await tf.setBackend("wasm"));
  await tf.setBackend("cpu");
});

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Run `fn` with `backend` active and return its result's values; nothing it creates survives. */
async function on(backend: string, fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(fn).data() as Promise<Float32Array>;
}

/** Max |a − b| ≤ atol + rtol · max |b| (float32 sums over many terms differ in their last bits). */
function assertClose(
  actual: Float32Array,
  expected: Float32Array,
  rtol: number,
  atol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  assert.ok(maxRef > 0, `${what}: reference is all zeros, the test proves nothing`);
  assert.ok(
    maxDiff <= atol + rtol * maxRef,
    `${what}: max difference ${maxDiff} (reference max ${maxRef})`,
  );
}

interface ConvCase {
  x: Shape4D;
  filter: Shape4D;
  strides: number | [number, number];
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
  { x: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: "same" },
  { x: [1, 6, 6, 1], filter: [3, 3, 1, 4], strides: 2, pad: "same" },
  { x: [3, 7, 7, 3], filter: [3, 3, 3, 8], strides: 2, pad: "same" },
  { x: [3, 8, 8, 3], filter: [3, 3, 3, 8], strides: 2, pad: "valid" }, // last input row unused
  { x: [3, 7, 7, 8], filter: [3, 3, 8, 3], strides: 2, pad: "valid" },
  { x: [3, 7, 6, 8], filter: [3, 3, 8, 3], strides: 1, pad: "valid" },
  { x: [1, 6, 6, 3], filter: [3, 3, 3, 1], strides: 1, pad: "same" },
  { x: [3, 9, 8, 8], filter: [2, 4, 8, 1], strides: [2, 3], pad: "same" },
  { x: [2, 9, 10, 3], filter: [4, 4, 3, 2], strides: 3, pad: 1 },
  {
    x: [2, 9, 10, 2],
    filter: [3, 3, 2, 3],
    strides: 2,
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
  // The model's layers at a small batch.
  { x: [2, 28, 28, 1], filter: [3, 3, 1, 32], strides: 2, pad: "same" },
  { x: [2, 14, 14, 32], filter: [3, 3, 32, 64], strides: 2, pad: "same" },
];

const describeCase = (c: ConvCase) =>
  `x [${c.x}] filter [${c.filter}] strides ${c.strides} pad ${JSON.stringify(c.pad)}`;

/** tf.grad for a function of a 4-D filter (tf.grad's generics do not infer from a Tensor4D parameter). */
function filterGrad(f: (w: tf.Tensor4D) => tf.Tensor): (w: tf.Tensor4D) => tf.Tensor {
  return tf.grad((w: tf.Tensor) => f(w as tf.Tensor4D));
}

/** Loss whose filter gradient we check: quadratic in the conv output, so central differences are exact. */
function quadraticLoss(y: tf.Tensor, r: tf.Tensor): tf.Scalar {
  return tf.add(tf.sum(tf.mul(r, y)), tf.mul(0.5, tf.sum(tf.square(y)))) as tf.Scalar;
}

test("registers a Conv2DBackpropFilter kernel for wasm once, leaving other backends alone", () => {
  assert.equal(
    tf.getKernel(KERNEL, "wasm"),
    undefined,
    "tfjs-backend-wasm 4.22 has no such kernel",
  );
  const cpuKernel = tf.getKernel(KERNEL, "cpu");
  registerWasmConvGradients();
  const kernel = tf.getKernel(KERNEL, "wasm");
  assert.ok(kernel);
  registerWasmConvGradients();
  assert.equal(tf.getKernel(KERNEL, "wasm"), kernel, "a second call keeps the first registration");
  assert.equal(tf.getKernel(KERNEL, "cpu"), cpuKernel, "other backends are untouched");
});

test("an unknown filter-gradient method is refused", () => {
  assert.throws(
    () => setConvFilterGradientMethod("fast" as ConvFilterGradientMethod),
    (e: unknown) =>
      e instanceof ConvGradientError && /"auto", "im2col" or "dilated"/.test(e.message),
  );
});

test("conv2d filter gradient on wasm matches the cpu backend", async () => {
  registerWasmConvGradients();
  for (const [i, c] of CONV_CASES.entries()) {
    const xValues = randomArray(size(c.x), 10 + i);
    const wValues = randomArray(size(c.filter), 20 + i, 0.3);
    const grad = () => {
      const x = tf.tensor4d(xValues, c.x);
      const w = tf.tensor4d(wValues, c.filter);
      return filterGrad((f: tf.Tensor4D) => tf.sum(tf.sin(tf.conv2d(x, f, c.strides, c.pad))))(w);
    };
    const expected = await on("cpu", grad);
    await forEachMethod(async (method) => {
      assertClose(await on("wasm", grad), expected, 2e-5, 1e-5, `${method}: ${describeCase(c)}`);
    });
  }
});

interface TransposeCase {
  x: Shape4D;
  filter: Shape4D; // [fH, fW, outChannels, inChannels]
  output: Shape4D;
  strides: number;
  pad: "same" | "valid";
}

const TRANSPOSE_CASES: TransposeCase[] = [
  { x: [2, 4, 4, 3], filter: [3, 3, 5, 3], output: [2, 8, 8, 5], strides: 2, pad: "same" },
  { x: [1, 7, 7, 8], filter: [3, 3, 1, 8], output: [1, 14, 14, 1], strides: 2, pad: "same" },
  { x: [3, 3, 3, 2], filter: [3, 3, 4, 2], output: [3, 7, 7, 4], strides: 2, pad: "valid" },
  { x: [3, 5, 5, 3], filter: [3, 3, 1, 3], output: [3, 5, 5, 1], strides: 1, pad: "same" },
  { x: [3, 7, 7, 64], filter: [3, 3, 32, 64], output: [3, 14, 14, 32], strides: 2, pad: "same" },
];

test("conv2dTranspose filter gradient on wasm matches the cpu backend", async () => {
  registerWasmConvGradients();
  for (const [i, c] of TRANSPOSE_CASES.entries()) {
    const xValues = randomArray(size(c.x), 30 + i);
    const wValues = randomArray(size(c.filter), 40 + i, 0.3);
    const grad = () => {
      const x = tf.tensor4d(xValues, c.x);
      const w = tf.tensor4d(wValues, c.filter);
      return filterGrad((f: tf.Tensor4D) =>
        tf.sum(tf.sin(tf.conv2dTranspose(x, f, c.output, c.strides, c.pad))),
      )(w);
    };
    const expected = await on("cpu", grad);
    await forEachMethod(async (method) => {
      const what = `${method}: conv2dTranspose x [${c.x}] filter [${c.filter}] ${c.strides} ${c.pad}`;
      assertClose(await on("wasm", grad), expected, 2e-5, 1e-5, what);
    });
  }
});

test("the kernel itself handles NCHW and a rounding mode like the cpu kernel", async () => {
  registerWasmConvGradients();
  const cases = [
    {
      x: [2, 3, 7, 6],
      dy: [2, 4, 4, 3],
      filterShape: [3, 3, 3, 4],
      strides: 2,
      pad: "same",
      dataFormat: "NCHW",
    },
    {
      x: [2, 8, 8, 2],
      dy: [2, 4, 4, 2],
      filterShape: [3, 3, 2, 2],
      strides: 2,
      pad: 0,
      dimRoundingMode: "ceil",
    },
    {
      x: [2, 8, 8, 2],
      dy: [2, 3, 3, 2],
      filterShape: [3, 3, 2, 2],
      strides: 2,
      pad: 0,
      dimRoundingMode: "floor",
    },
  ];
  for (const [i, c] of cases.entries()) {
    const xValues = randomArray(size(c.x), 50 + i);
    const dyValues = randomArray(size(c.dy), 60 + i);
    const { x: xShape, dy: dyShape, ...attrs } = c;
    const run = () =>
      tf
        .engine()
        .runKernel(KERNEL, { x: tf.tensor(xValues, xShape), dy: tf.tensor(dyValues, dyShape) }, {
          dataFormat: "NHWC",
          ...attrs,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const expected = await on("cpu", run);
    await forEachMethod(async (method) => {
      assertClose(await on("wasm", run), expected, 2e-5, 1e-5, `${method}: ${JSON.stringify(c)}`);
    });
  }
});

/** Central differences of `loss(w)` for every element of w, computed on the active backend. */
function finiteDifferences(
  loss: (w: tf.Tensor4D) => tf.Scalar,
  w: Float32Array,
  shape: Shape4D,
  eps: number,
) {
  const fd = new Float32Array(w.length);
  const at = (values: Float32Array) =>
    tf.tidy(() => loss(tf.tensor4d(values, shape)).dataSync()[0]);
  for (let i = 0; i < w.length; i++) {
    const plus = w.slice();
    const minus = w.slice();
    plus[i] += eps;
    minus[i] -= eps;
    fd[i] = (at(plus) - at(minus)) / (2 * eps);
  }
  return fd;
}

test("filter gradients on wasm agree with central finite differences", async () => {
  registerWasmConvGradients();
  await tf.setBackend("wasm");
  const checks: Array<{
    what: string;
    wShape: Shape4D;
    yShape: Shape4D;
    xShape: Shape4D;
    forward: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor;
  }> = [
    {
      what: "conv2d stride 2 same",
      xShape: [3, 7, 7, 3],
      wShape: [3, 3, 3, 4],
      yShape: [3, 4, 4, 4],
      forward: (x, w) => tf.conv2d(x, w, 2, "same"),
    },
    {
      what: "conv2d stride 2 valid, even input",
      xShape: [1, 8, 8, 1],
      wShape: [3, 3, 1, 3],
      yShape: [1, 3, 3, 3],
      forward: (x, w) => tf.conv2d(x, w, 2, "valid"),
    },
    {
      what: "conv2d stride 1 same, 8 channels",
      xShape: [1, 5, 6, 8],
      wShape: [3, 3, 8, 2],
      yShape: [1, 5, 6, 2],
      forward: (x, w) => tf.conv2d(x, w, 1, "same"),
    },
    {
      what: "conv2dTranspose stride 2 same",
      xShape: [3, 4, 4, 3],
      wShape: [3, 3, 2, 3],
      yShape: [3, 8, 8, 2],
      forward: (x, w) => tf.conv2dTranspose(x, w, [3, 8, 8, 2], 2, "same"),
    },
  ];
  for (const [i, c] of checks.entries()) {
    const x = tf.tensor4d(randomArray(size(c.xShape), 70 + i), c.xShape);
    const r = tf.tensor4d(randomArray(size(c.yShape), 80 + i), c.yShape);
    const wValues = randomArray(size(c.wShape), 90 + i, 0.3);
    const loss = (w: tf.Tensor4D) => quadraticLoss(c.forward(x, w), r);
    const numeric = finiteDifferences(loss, wValues, c.wShape, 1e-2);
    await forEachMethod(async (method) => {
      const analytic = tf.tidy(
        () => filterGrad(loss)(tf.tensor4d(wValues, c.wShape)).dataSync() as Float32Array,
      );
      assertClose(analytic, numeric, 2e-3, 5e-3, `${method}: ${c.what}`);
    });
    tf.dispose([x, r]);
  }
});

test("dilated conv2d gradients and mismatched shapes fail with a clear message", async () => {
  registerWasmConvGradients();
  await tf.setBackend("wasm");
  assert.throws(
    () =>
      tf.tidy(() => {
        const x = tf.ones([1, 6, 6, 2]) as tf.Tensor4D;
        return filterGrad((w: tf.Tensor4D) => tf.sum(tf.conv2d(x, w, 1, "same", "NHWC", 2)))(
          tf.ones([3, 3, 2, 1]),
        );
      }),
    /dilation rates greater than 1 are not yet supported in gradients/,
  );
  // (tfjs-core leaks a few tensors of the aborted tape above; our kernel must not leak when it throws.)
  const before = tf.memory().numTensors;
  const buffersBefore = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  assert.throws(
    () =>
      tf.tidy(() =>
        tf.engine().runKernel(KERNEL, { x: tf.ones([1, 6, 6, 2]), dy: tf.ones([1, 4, 4, 3]) }, {
          filterShape: [3, 3, 2, 3],
          strides: 2,
          pad: "same",
          dataFormat: "NHWC",
        } as unknown as tf.NamedAttrMap),
      ),
    (e: unknown) =>
      e instanceof ConvGradientError &&
      /dy has shape \[1,4,4,3\].*gives \[1,3,3,3\]/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, before);
  assert.equal((tf.backend() as unknown as { numDataIds(): number }).numDataIds(), buffersBefore);
});

test("an empty batch gives a zero gradient", async () => {
  registerWasmConvGradients();
  await tf.setBackend("wasm");
  const dW = tf.tidy(() =>
    tf.engine().runKernel(KERNEL, { x: tf.zeros([0, 5, 5, 2]), dy: tf.zeros([0, 3, 3, 4]) }, {
      filterShape: [3, 3, 2, 4],
      strides: 2,
      pad: "same",
      dataFormat: "NHWC",
    } as unknown as tf.NamedAttrMap),
  ) as tf.Tensor;
  assert.deepEqual(dW.shape, [3, 3, 2, 4]);
  assert.ok((await dW.data()).every((v) => v === 0));
  dW.dispose();
});

test("no tensor or wasm buffer leaks through the gradient", async () => {
  registerWasmConvGradients();
  await tf.setBackend("wasm");
  const x = tf.tensor4d(randomArray(3 * 9 * 9 * 3, 1), [3, 9, 9, 3]);
  const w = tf.tensor4d(randomArray(3 * 3 * 3 * 8, 2, 0.3), [3, 3, 3, 8]);
  const y = tf.tensor4d(randomArray(3 * 5 * 5 * 8, 3), [3, 5, 5, 8]);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const step = () => {
    const g = filterGrad((f: tf.Tensor4D) => tf.sum(tf.conv2d(x, f, 2, "same")))(w);
    const gT = filterGrad((f: tf.Tensor4D) =>
      tf.sum(tf.conv2dTranspose(y, f, [3, 9, 9, 3], 2, "same")),
    )(w);
    const gValid = filterGrad((f: tf.Tensor4D) =>
      tf.sum(tf.conv2d(tf.slice(x, 0, [3, 8, 8, 3]), f, 2, "valid")),
    )(w);
    tf.dispose([g, gT, gValid]);
  };
  step();
  await forEachMethod(async (method) => {
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = backend.numDataIds();
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, tensorsBefore, `${method}: engine tensors`);
    assert.equal(
      backend.numDataIds(),
      buffersBefore,
      `${method}: wasm buffers (kernel intermediates bypass the engine)`,
    );
  });
  tf.dispose([x, w, y]);
});

/** A tiny conv autoencoder with the model's shape: stride-2 convs down, dense code, transposed convs up. */
function tinyConvAutoencoder(seed: number): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  const conv = { kernelSize: 3, strides: 2, padding: "same" as const };
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        activation: "relu",
        kernelInitializer: init(1),
        ...conv,
      }),
      tf.layers.conv2d({ filters: 8, activation: "relu", kernelInitializer: init(2), ...conv }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 6, kernelInitializer: init(3) }),
      tf.layers.dense({ units: 2 * 2 * 8, activation: "relu", kernelInitializer: init(4) }),
      tf.layers.reshape({ targetShape: [2, 2, 8] }),
      tf.layers.conv2dTranspose({
        filters: 4,
        activation: "relu",
        kernelInitializer: init(5),
        ...conv,
      }),
      tf.layers.conv2dTranspose({ filters: 1, kernelInitializer: init(6), ...conv }),
    ],
  });
}

/** 16 images 8×8 of a bright bar (row or column) on a dark background. */
function barImages(): Float32Array {
  const rng = createRng(7);
  const images = new Float32Array(16 * 64);
  for (let n = 0; n < 16; n++) {
    const at = rng.int(8);
    const vertical = rng.next() < 0.5;
    for (let i = 0; i < 8; i++) images[n * 64 + (vertical ? i * 8 + at : at * 8 + i)] = 1;
  }
  return images;
}

test("a tf.layers conv autoencoder has the same gradients on wasm as on cpu, and trains on wasm", async () => {
  registerWasmConvGradients();
  const images = barImages();
  const gradients = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    const model = tinyConvAutoencoder(3);
    const x = tf.tensor4d(images, [16, 8, 8, 1]);
    const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => tf.losses.sigmoidCrossEntropy(x, model.apply(x) as tf.Tensor) as tf.Scalar,
      weights,
    );
    const values = weights.map((w) => grads[w.name].dataSync() as Float32Array);
    tf.dispose([x, ...Object.values(grads)]);
    model.dispose();
    return values;
  };
  const cpu = await gradients("cpu");
  const onWasm = await gradients("wasm");
  assert.equal(onWasm.length, 12, "6 kernels and 6 biases");
  for (let i = 0; i < cpu.length; i++) assertClose(onWasm[i], cpu[i], 1e-4, 1e-6, `weight ${i}`);

  await tf.setBackend("wasm");
  const before = tf.memory().numTensors;
  const model = tinyConvAutoencoder(3);
  const optimizer = tf.train.adam(0.02);
  const x = tf.tensor4d(images, [16, 8, 8, 1]);
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    const loss = optimizer.minimize(
      () => tf.losses.sigmoidCrossEntropy(x, model.apply(x) as tf.Tensor) as tf.Scalar,
      true,
    ) as tf.Scalar;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[29] < 0.7 * losses[0], `loss went from ${losses[0]} to ${losses[29]}`);
  x.dispose();
  optimizer.dispose();
  model.dispose();
  assert.equal(tf.memory().numTensors, before, "model, optimizer and steps leave nothing behind");
});
