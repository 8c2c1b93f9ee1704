import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig } from "../../lib/config";
import { AutoencoderLabError } from "../../lib/errors";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import { decodeCodes, encodeSet, reconstructSet } from "../../lib/model/inference";
import { useTestBackend } from "../helpers/backend";
import { syntheticSet } from "../helpers/synthetic";

before(useTestBackend);

test("decodeCodes(encodeSet(x)) equals reconstructSet(x), in any batch size, without leaks", () => {
  const shape = { height: 8, width: 8, channels: 1 };
  const model = buildAutoencoder(
    resolveConfig({ model: { codeSize: 3, hiddenSizes: [12] } }).model,
    shape,
    5,
  );
  const set = syntheticSet(23, shape, 1);
  const tensors = tf.memory().numTensors;
  const codes = encodeSet(model, set, 64, 7);
  assert.equal(codes.length, 23 * 3);
  const decoded = decodeCodes(model, codes, 5);
  const reconstructed = reconstructSet(model, set, 64);
  assert.equal(decoded.length, 23 * 64);
  for (let i = 0; i < decoded.length; i++)
    assert.ok(Math.abs(decoded[i] - reconstructed[i]) < 1e-6);
  assert.equal(tf.memory().numTensors, tensors);
  assert.throws(() => decodeCodes(model, new Float32Array(4)), AutoencoderLabError);
  assert.throws(() => decodeCodes(model, new Float32Array(4)), /not whole codes of size 3/);
  model.dispose();
});
