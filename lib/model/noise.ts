/**
 * Input corruption for denoising autoencoders. The model sees corrupted images and is trained to
 * output the clean ones. Seeded: the same seed gives the same corruption.
 */
import * as tf from "@tensorflow/tfjs";
import type { NoiseConfig } from "../config";

/**
 * Corrupt a batch of images in [0, 1]:
 * - gaussian: add N(0, level²) noise, clip to [0, 1];
 * - salt-and-pepper: a share `level` of pixels set to 0 or 1 (half each);
 * - masking: a share `level` of pixels set to 0;
 * - none: the images themselves (a new reference to the same tensor is not made: returned as is).
 */
export function corrupt(images: tf.Tensor, noise: NoiseConfig, seed: number): tf.Tensor {
  if (noise.kind === "none" || noise.level === 0) return images;
  return tf.tidy(() => {
    switch (noise.kind) {
      case "gaussian":
        return tf.clipByValue(
          tf.add(images, tf.randomNormal(images.shape, 0, noise.level, "float32", seed)),
          0,
          1,
        );
      case "salt-and-pepper": {
        const u = tf.randomUniform(images.shape, 0, 1, "float32", seed);
        const salt = tf.less(u, noise.level / 2);
        const pepper = tf.logicalAnd(tf.greaterEqual(u, noise.level / 2), tf.less(u, noise.level));
        return tf.where(salt, tf.onesLike(images), tf.where(pepper, tf.zerosLike(images), images));
      }
      case "masking": {
        const keep = tf.greaterEqual(
          tf.randomUniform(images.shape, 0, 1, "float32", seed),
          noise.level,
        );
        return tf.mul(images, tf.cast(keep, "float32"));
      }
      default:
        throw new Error(`Unknown noise kind "${String(noise.kind)}".`);
    }
  });
}
