// The wasm matmul fast path must give the cpu backend's results for every transpose combination,
// plain and fused (bias + activation), rank 2 and 3, forward and backward, and leak nothing.
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend/select";
import { createRng } from "../../lib/random";

before(async () => {
  await initBackend("wasm");
});

function random(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.normal()),
    shape,
  );
}

async function compare(backendFn: () => tf.Tensor): Promise<void> {
  await tf.setBackend("cpu");
  const expected = tf.tidy(backendFn).dataSync().slice();
  await tf.setBackend("wasm");
  const before = tf.memory().numTensors;
  const result = tf.tidy(backendFn);
  const actual = result.dataSync().slice();
  result.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])),
      `element ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

for (const [ta, tb] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const) {
  test(`matMul transposeA=${ta} transposeB=${tb}, rank 2 and 3, matches cpu`, async () => {
    const aShape = ta ? [7, 5] : [5, 7];
    const bShape = tb ? [3, 7] : [7, 3];
    await compare(() => tf.matMul(random(aShape, 1), random(bShape, 2), ta, tb));
    await compare(() => tf.matMul(random([2, ...aShape], 3), random([2, ...bShape], 4), ta, tb));
  });

  test(`fused matMul (bias, relu) transposeA=${ta} transposeB=${tb} matches cpu`, async () => {
    const aShape = ta ? [6, 4] : [4, 6];
    const bShape = tb ? [5, 6] : [6, 5];
    await compare(() =>
      tf.fused.matMul({
        a: random(aShape, 5),
        b: random(bShape, 6),
        transposeA: ta,
        transposeB: tb,
        bias: random([5], 7),
        activation: "relu",
      }),
    );
  });
}

test("gradients of a dense layer (which use transposed products) match cpu", async () => {
  const f = () =>
    tf.tidy(() => {
      const x = random([9, 6], 8);
      const w = random([6, 4], 9);
      const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
        tf.sum(tf.relu(tf.matMul(xx, ww))),
      )([x, w]);
      return tf.concat([dx.flatten(), dw.flatten()]);
    });
  await compare(f);
});
