// Training losses against hand-computed values, and stability where the sigmoid saturates.
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { reconstructionLoss } from "../../lib/train/losses";
import { learningRateAt } from "../../lib/train/trainer";
import { resolveConfig } from "../../lib/config";
import { useTestBackend } from "../helpers/backend";

before(useTestBackend);

const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));

test("BCE from logits equals -mean(x ln s(l) + (1-x) ln(1-s(l))) by hand", () => {
  const x = [0, 1, 0.25, 0.9];
  const l = [-2, 3, 0.5, 0];
  const expected =
    -x.reduce(
      (sum, xi, i) => sum + xi * Math.log(sigmoid(l[i])) + (1 - xi) * Math.log(1 - sigmoid(l[i])),
      0,
    ) / 4;
  const value = tf.tidy(() => reconstructionLoss("bce", tf.tensor(x), tf.tensor(l)).dataSync()[0]);
  assert.ok(Math.abs(value - expected) < 1e-6, `${value} vs ${expected}`);
});

test("BCE from logits stays finite and exact for saturated logits (|l| = 100)", () => {
  // x=1, l=-100: loss = 100 + log1p(e^-100) = 100; x=0, l=100: also 100; x=1, l=100: ~0.
  const value = tf.tidy(
    () =>
      reconstructionLoss("bce", tf.tensor([1, 0, 1]), tf.tensor([-100, 100, 100])).dataSync()[0],
  );
  assert.ok(Math.abs(value - 200 / 3) < 1e-3, String(value));
});

test("MSE compares targets with sigmoid(logits)", () => {
  const x = [0, 1, 0.5];
  const l = [0, 2, -1];
  const expected = x.reduce((s, xi, i) => s + (sigmoid(l[i]) - xi) ** 2, 0) / 3;
  const value = tf.tidy(() => reconstructionLoss("mse", tf.tensor(x), tf.tensor(l)).dataSync()[0]);
  assert.ok(Math.abs(value - expected) < 1e-6);
});

test("learning-rate schedules: constant, and cosine from the base rate down to 1% at the last step", () => {
  const constant = resolveConfig({ train: { lrSchedule: "constant", learningRate: 0.002 } });
  assert.equal(learningRateAt(constant, 0, 100), 0.002);
  assert.equal(learningRateAt(constant, 99, 100), 0.002);
  const cosine = resolveConfig({ train: { lrSchedule: "cosine", learningRate: 0.002 } });
  assert.equal(learningRateAt(cosine, 0, 101), 0.002);
  assert.ok(Math.abs(learningRateAt(cosine, 50, 101) - 0.002 * (0.01 + 0.99 * 0.5)) < 1e-12);
  assert.ok(Math.abs(learningRateAt(cosine, 100, 101) - 0.00002) < 1e-12);
});
