/** Training losses on tensors. Both take clean targets and the decoder's logits. */
import * as tf from "@tensorflow/tfjs";
import type { LossName } from "../config";

/**
 * Mean loss over every pixel of the batch.
 * - bce: binary cross-entropy from logits, max(l,0) − l·x + log(1 + e^−|l|): exact and finite
 *   even where the sigmoid saturates (what Keras' binary_crossentropy approximates by clipping).
 * - mse: mean squared error between the targets and sigmoid(logits).
 */
export function reconstructionLoss(
  name: LossName,
  targets: tf.Tensor,
  logits: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() =>
    name === "bce"
      ? (tf.mean(
          tf.add(
            tf.sub(tf.relu(logits), tf.mul(logits, targets)),
            tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
          ),
        ) as tf.Scalar)
      : (tf.mean(tf.squaredDifference(tf.sigmoid(logits), targets)) as tf.Scalar),
  );
}
