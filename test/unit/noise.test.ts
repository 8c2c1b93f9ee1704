// corrupt() (lib/model/noise.ts), the input corruption of denoising autoencoders: seeded
// determinism for every kind, level 0 = identity, corrupted share ≈ level, values kept in [0, 1],
// and no tensor leaks. (test/unit/model.test.ts checks the basic statistics at one level.)
import { useTestBackend } from "../helpers/backend";
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import type { NoiseKind } from "../../lib/config";
import { corrupt } from "../../lib/model/noise";

const KINDS = ["gaussian", "salt-and-pepper", "masking"] as const;

before(async () => {
  await useTestBackend();
});

function values(x: tf.Tensor, kind: NoiseKind, level: number, seed: number): Float32Array {
  return tf.tidy(() => corrupt(x, { kind, level }, seed).dataSync() as Float32Array);
}

test("same seed, same corruption; another seed, another one (every kind)", () => {
  const x = tf.fill([20, 49], 0.5);
  for (const kind of KINDS) {
    assert.deepEqual(values(x, kind, 0.3, 11), values(x, kind, 0.3, 11), kind);
    assert.notDeepEqual(values(x, kind, 0.3, 11), values(x, kind, 0.3, 12), kind);
  }
  x.dispose();
});

test("level 0 and kind none return the input itself", () => {
  const x = tf.tensor2d([[0, 0.25, 1]]);
  for (const kind of [...KINDS, "none"] as const) {
    assert.equal(corrupt(x, { kind, level: 0 }, 1), x, `${kind} at level 0`);
  }
  assert.equal(corrupt(x, { kind: "none", level: 0.9 }, 1), x);
  x.dispose();
});

test("the share of corrupted pixels follows the level (salt-and-pepper and masking)", () => {
  const x = tf.fill([100, 100], 0.5); // 10,000 pixels: a share is within ±0.015 at 3 sigma
  for (const level of [0.1, 0.5, 0.9]) {
    const sp = values(x, "salt-and-pepper", level, 3);
    const changed = sp.filter((v) => v !== 0.5).length / sp.length;
    assert.ok(Math.abs(changed - level) < 0.02, `salt-and-pepper ${level}: ${changed}`);
    const salt = sp.filter((v) => v === 1).length / sp.length;
    assert.ok(Math.abs(salt - level / 2) < 0.02, `half salt at ${level}: ${salt}`);
    const masked = values(x, "masking", level, 3);
    const zeros = masked.filter((v) => v === 0).length / masked.length;
    assert.ok(Math.abs(zeros - level) < 0.02, `masking ${level}: ${zeros}`);
    assert.ok(
      masked.every((v) => v === 0 || v === 0.5),
      "masking only zeroes pixels",
    );
  }
  const all = values(x, "masking", 1, 3);
  assert.ok(
    all.every((v) => v === 0),
    "masking at level 1 blanks the image",
  );
  x.dispose();
});

test("gaussian noise: clipped to [0, 1] at any level; the spread follows the level inside the range", () => {
  const edges = tf.tensor2d([Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 0 : 1))]);
  for (const level of [0.1, 0.5, 1]) {
    const g = values(edges, "gaussian", level, 5);
    assert.ok(
      g.every((v) => v >= 0 && v <= 1),
      `gaussian ${level} stays in [0, 1]`,
    );
    // Half of the noise pushes a 0 below 0 (clipped back to exactly 0).
    const zeros = g.filter((v, i) => i % 2 === 0 && v === 0).length / 500;
    assert.ok(Math.abs(zeros - 0.5) < 0.08, `clipped share at ${level}: ${zeros}`);
  }
  const mid = tf.fill([100, 100], 0.5);
  const g = values(mid, "gaussian", 0.05, 7);
  const mean = g.reduce((a, b) => a + b, 0) / g.length;
  const std = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length);
  assert.ok(
    Math.abs(std - 0.05) < 0.003 && Math.abs(mean - 0.5) < 0.003,
    `std ${std} mean ${mean}`,
  );
  tf.dispose([edges, mid]);
});

test("corrupt leaves no tensor behind but its result", () => {
  const x = tf.fill([8, 8], 0.5);
  const before = tf.memory().numTensors;
  for (const kind of KINDS) {
    const y = corrupt(x, { kind, level: 0.4 }, 2);
    assert.equal(tf.memory().numTensors, before + 1, kind);
    y.dispose();
  }
  x.dispose();
});
