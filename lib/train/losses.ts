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

/**
 * VAE: KL divergence of N(mean, exp(logVariance)) from N(0, I), summed over the code and averaged
 * over the batch (nats per image): 0.5 · Σ (exp(lv) + m² − 1 − lv).
 */
export function klDivergence(mean: tf.Tensor, logVariance: tf.Tensor): tf.Scalar {
  return tf.tidy(
    () =>
      tf.mean(
        tf.mul(
          0.5,
          tf.sum(tf.sub(tf.add(tf.exp(logVariance), tf.square(mean)), tf.add(1, logVariance)), -1),
        ),
      ) as tf.Scalar,
  );
}

/**
 * VAE training loss per pixel: reconstruction loss of a sampled code, plus `klWeight` × the KL
 * divergence spread over the `pixels` of an image (so klWeight 1 is the negative ELBO / pixels,
 * on the same scale as a plain autoencoder's loss). `epsilon` ~ N(0, I), shaped like `mean`.
 */
export function vaeLoss(
  name: LossName,
  targets: tf.Tensor,
  mean: tf.Tensor,
  logVariance: tf.Tensor,
  epsilon: tf.Tensor,
  decodeLogits: (code: tf.Tensor) => tf.Tensor,
  klWeight: number,
): tf.Scalar {
  return tf.tidy(() => {
    const code = tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVariance)), epsilon));
    const pixels = targets.shape[targets.shape.length - 1] as number;
    const kl = tf.div(klDivergence(mean, logVariance), pixels);
    return tf.add(
      reconstructionLoss(name, targets, decodeLogits(code)),
      tf.mul(klWeight, kl),
    ) as tf.Scalar;
  });
}
