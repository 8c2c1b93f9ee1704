// The faster wasm Conv2DBackpropInput (lib/backend/wasm/conv-backprop-input.ts), swapped in by
// registerWasmConvGradients: conv2dTranspose outputs and conv2d input gradients against cpu.
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { registerWasmConvGradients } from "../../lib/backend/wasm/conv-gradient";
import {
  setConvBackpropInputMethod,
  type ConvBackpropInputMethod,
} from "../../lib/backend/wasm/conv-backprop-input";
import { createRng } from "../../lib/random";

type Shape4D = [number, number, number, number];

before(async () => {
  const dist = path.dirname(
    require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"),
  );
  wasm.setWasmPaths(dist + path.sep);
  assert.ok(await tf.setBackend("wasm"));
  registerWasmConvGradients();
});

function randomArray(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Run `check` with each Conv2DBackpropInput method, back to "auto" afterwards. */
async function forEachMethod(
  check: (method: ConvBackpropInputMethod) => Promise<void>,
): Promise<void> {
  try {
    for (const method of ["auto", "dilated", "original"] as const) {
      setConvBackpropInputMethod(method);
      await check(method);
    }
  } finally {
    setConvBackpropInputMethod("auto");
  }
}

async function on(backend: string, fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(fn).data() as Promise<Float32Array>;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  assert.ok(maxRef > 0, `${what}: reference is all zeros`);
  assert.ok(
    maxDiff <= 1e-5 + 2e-5 * maxRef,
    `${what}: max difference ${maxDiff} (reference max ${maxRef})`,
  );
}

test("the wasm Conv2DBackpropInput is replaced once, keeping its setup", () => {
  const kernel = tf.getKernel("Conv2DBackpropInput", "wasm");
  assert.ok(kernel?.setupFunc, "the original setup (XNNPACK binding) is kept");
  registerWasmConvGradients();
  assert.equal(tf.getKernel("Conv2DBackpropInput", "wasm"), kernel);
});

// [x (transposed conv input), filter [fH, fW, outC, inC], output, strides, pad]; the comments
// say which path "auto" takes (sub-pixel needs equal strides, no leading pad, whole cells;
// dilated conv needs ≥ 8 output channels and no crop).
const TRANSPOSED: Array<[Shape4D, Shape4D, Shape4D, number | [number, number], "same" | "valid"]> =
  [
    [[2, 7, 7, 64], [3, 3, 32, 64], [2, 14, 14, 32], 2, "same"], // sub-pixel: the model's layer
    [[2, 7, 7, 32], [3, 3, 1, 32], [2, 14, 14, 1], 2, "same"], // sub-pixel, 1 channel
    [[3, 4, 4, 3], [3, 3, 8, 3], [3, 8, 8, 8], 2, "same"], // sub-pixel
    [[1, 3, 3, 5], [3, 3, 8, 5], [1, 8, 8, 8], 2, "valid"], // sub-pixel, extra zero row
    [[2, 3, 3, 4], [3, 3, 5, 4], [2, 9, 9, 5], 3, "same"], // sub-pixel, stride 3, 1 tap
    [[1, 3, 3, 2], [5, 5, 4, 2], [1, 10, 10, 4], 2, "valid"], // sub-pixel, 3×3 taps
    [[2, 4, 4, 3], [2, 2, 5, 3], [2, 8, 8, 5], 2, "same"], // sub-pixel, 2×2 filter
    [[2, 4, 4, 3], [4, 4, 8, 3], [2, 8, 8, 8], 2, "same"], // leading pad: dilated conv
    [[3, 4, 4, 3], [3, 3, 8, 3], [3, 7, 7, 8], 2, "same"], // odd output: dilated conv
    [[1, 3, 3, 5], [3, 3, 8, 5], [1, 7, 7, 8], 2, "valid"], // dilated conv
    [[2, 4, 3, 4], [2, 4, 9, 4], [2, 8, 9, 9], [2, 3], "same"], // unequal strides: dilated conv
    [[2, 4, 4, 4], [3, 3, 9, 4], [2, 10, 10, 9], 3, "same"], // needs a crop: original kernel
    [[2, 5, 5, 6], [3, 3, 12, 6], [2, 5, 5, 12], 1, "same"], // stride 1: plain conv
    [[2, 7, 7, 4], [3, 3, 1, 4], [2, 13, 13, 1], 2, "same"], // 1 channel, odd: original kernel
  ];

test("conv2dTranspose on wasm matches the cpu backend", async () => {
  for (const [i, [xShape, wShape, outShape, strides, pad]] of TRANSPOSED.entries()) {
    const xValues = randomArray(size(xShape), 100 + i);
    const wValues = randomArray(size(wShape), 200 + i);
    const run = () =>
      tf.conv2dTranspose(
        tf.tensor4d(xValues, xShape),
        tf.tensor4d(wValues, wShape),
        outShape,
        strides,
        pad,
      );
    const expected = await on("cpu", run);
    await forEachMethod(async (method) =>
      assertClose(
        await on("wasm", run),
        expected,
        `${method}: x [${xShape}] w [${wShape}] → [${outShape}]`,
      ),
    );
  }
});

test("conv2d input gradients on wasm match the cpu backend", async () => {
  const cases: Array<[Shape4D, Shape4D, number, "same" | "valid" | number]> = [
    [[2, 14, 14, 32], [3, 3, 32, 64], 2, "same"],
    [[3, 7, 7, 8], [3, 3, 8, 4], 2, "same"],
    [[3, 8, 8, 8], [3, 3, 8, 4], 2, "valid"],
    [[3, 9, 9, 8], [3, 3, 8, 4], 2, 1],
    [[2, 28, 28, 1], [3, 3, 1, 32], 2, "same"],
  ];
  for (const [i, [xShape, wShape, strides, pad]] of cases.entries()) {
    const xValues = randomArray(size(xShape), 300 + i);
    const wValues = randomArray(size(wShape), 400 + i);
    const run = () => {
      const w = tf.tensor4d(wValues, wShape);
      return tf.grad((x: tf.Tensor) =>
        tf.sum(tf.sin(tf.conv2d(x as tf.Tensor4D, w, strides, pad))),
      )(tf.tensor4d(xValues, xShape));
    };
    const expected = await on("cpu", run);
    await forEachMethod(async (method) =>
      assertClose(
        await on("wasm", run),
        expected,
        `${method}: dx of conv2d x [${xShape}] w [${wShape}]`,
      ),
    );
  }
});

test("the replacement leaks no tensor and no wasm buffer", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d(randomArray(2 * 7 * 7 * 16, 1), [2, 7, 7, 16]);
  const w = tf.tensor4d(randomArray(3 * 3 * 8 * 16, 2), [3, 3, 8, 16]);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  tf.conv2dTranspose(x, w, [2, 14, 14, 8], 2, "same").dispose();
  await forEachMethod(async (method) => {
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    for (let i = 0; i < 3; i++) tf.conv2dTranspose(x, w, [2, 14, 14, 8], 2, "same").dispose();
    assert.equal(tf.memory().numTensors, tensors, method);
    assert.equal(backend.numDataIds(), buffers, method);
  });
  tf.dispose([x, w]);
});
