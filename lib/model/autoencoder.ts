/**
 * Autoencoder factories. Every model takes flat images [batch, pixels] (pixels in [0, 1]) so data,
 * training and analysis never care which architecture is inside.
 *
 * - encoder: images -> code [batch, codeSize]
 * - decoder: code -> pixels in [0, 1] (ends with a sigmoid: usable as is, e.g. in a browser)
 * - decoderLogits: the same layers without the final sigmoid; training uses it so that binary
 *   cross-entropy is computed from logits, which is stable where sigmoid saturates.
 * - vae only: varianceHead (encoder features -> log-variance of the code) and `variance`
 *   (images -> log-variance, sharing the encoder's layers). The encoder outputs the mean, so every
 *   code-based analysis sees the VAE's mean code.
 * Building is seeded: the same config and seed give the same initial weights.
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config";
import { ConfigError } from "../errors";
import type { ImageShape } from "../data/types";
import { pixelsPerImage } from "../data/types";
import { createRng, type Rng } from "../random";

export interface Autoencoder {
  encoder: tf.LayersModel;
  decoder: tf.LayersModel;
  decoderLogits: tf.LayersModel;
  /** VAE: the layer from the encoder's features to the code's log-variance (saved with the run). */
  varianceHead?: tf.LayersModel;
  /** VAE: images -> log-variance of the code [batch, codeSize] (encoder layers + varianceHead). */
  variance?: tf.LayersModel;
  /** Every trainable weight of encoder, decoder (the sigmoid has none) and variance head. */
  trainableWeights(): tf.Variable[];
  dispose(): void;
}

function initializers(rng: Rng) {
  const seed = () => rng.int(2 ** 31 - 1);
  return {
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }),
    biasInitializer: tf.initializers.zeros(),
  };
}

/** Close an encoder: the code layer (linear by default) on top of the features `x`. */
function encoderModel(
  input: tf.SymbolicTensor,
  x: tf.SymbolicTensor,
  config: ModelConfig,
  rng: Rng,
): tf.LayersModel {
  const code = tf.layers
    .dense({
      units: config.codeSize,
      activation: config.codeActivation,
      name: "code",
      ...initializers(rng),
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: code, name: "encoder" });
}

function buildDenseEncoder(config: ModelConfig, pixels: number, rng: Rng): tf.LayersModel {
  const input = tf.input({ shape: [pixels], name: "image" });
  let x: tf.SymbolicTensor = input;
  config.hiddenSizes.forEach((units, i) => {
    x = tf.layers
      .dense({
        units,
        activation: config.activation,
        name: `encoder_dense_${i + 1}`,
        ...initializers(rng),
      })
      .apply(x) as tf.SymbolicTensor;
  });
  return encoderModel(input, x, config, rng);
}

function buildDenseDecoderLayers(
  config: ModelConfig,
  pixels: number,
  rng: Rng,
  code: tf.SymbolicTensor,
) {
  let x = code;
  [...config.hiddenSizes].reverse().forEach((units, i) => {
    x = tf.layers
      .dense({
        units,
        activation: config.activation,
        name: `decoder_dense_${i + 1}`,
        ...initializers(rng),
      })
      .apply(x) as tf.SymbolicTensor;
  });
  return tf.layers
    .dense({ units: pixels, activation: "linear", name: "logits", ...initializers(rng) })
    .apply(x) as tf.SymbolicTensor;
}

/** Spatial size after `count` stride-2 'same' convolutions. */
function downsampled(size: number, count: number): number {
  for (let i = 0; i < count; i++) size = Math.ceil(size / 2);
  return size;
}

function checkConvShape(config: ModelConfig, shape: ImageShape): void {
  const n = config.convFilters.length;
  const factor = 2 ** n;
  if (shape.height % factor !== 0 || shape.width % factor !== 0) {
    throw new ConfigError(
      `Config key "model.convFilters": ${n} stride-2 convolutions need image sides divisible by ${factor}, ` +
        `but images are ${shape.height}×${shape.width}. Use ${Math.max(1, n - 1)} filters entries or a dense model.`,
    );
  }
}

function buildConvEncoder(config: ModelConfig, shape: ImageShape, rng: Rng): tf.LayersModel {
  const input = tf.input({ shape: [pixelsPerImage(shape)], name: "image" });
  let x = tf.layers
    .reshape({ targetShape: [shape.height, shape.width, shape.channels], name: "to_image" })
    .apply(input) as tf.SymbolicTensor;
  config.convFilters.forEach((filters, i) => {
    x = tf.layers
      .conv2d({
        filters,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: config.activation,
        name: `encoder_conv_${i + 1}`,
        ...initializers(rng),
      })
      .apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  return encoderModel(input, x, config, rng);
}

function buildConvDecoderLayers(
  config: ModelConfig,
  shape: ImageShape,
  rng: Rng,
  code: tf.SymbolicTensor,
) {
  const n = config.convFilters.length;
  const h = downsampled(shape.height, n);
  const w = downsampled(shape.width, n);
  const deepest = config.convFilters[n - 1];
  let x = tf.layers
    .dense({
      units: h * w * deepest,
      activation: config.activation,
      name: "decoder_dense",
      ...initializers(rng),
    })
    .apply(code) as tf.SymbolicTensor;
  x = tf.layers
    .reshape({ targetShape: [h, w, deepest], name: "to_feature_map" })
    .apply(x) as tf.SymbolicTensor;
  // Mirror the encoder: transposed convolutions double the size, the last one outputs the channels.
  const upFilters = [...config.convFilters.slice(0, -1)].reverse().concat([shape.channels]);
  upFilters.forEach((filters, i) => {
    const last = i === upFilters.length - 1;
    x = tf.layers
      .conv2dTranspose({
        filters,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: last ? "linear" : config.activation,
        name: last ? "logits_image" : `decoder_deconv_${i + 1}`,
        ...initializers(rng),
      })
      .apply(x) as tf.SymbolicTensor;
  });
  return tf.layers.flatten({ name: "logits" }).apply(x) as tf.SymbolicTensor;
}

/** Build an autoencoder for images of `shape`, with weights initialised from `seed`. */
export function buildAutoencoder(
  config: ModelConfig,
  shape: ImageShape,
  seed: number,
): Autoencoder {
  const rng = createRng(seed);
  const pixels = pixelsPerImage(shape);
  if (config.kind === "conv") checkConvShape(config, shape);
  const encoder =
    config.kind === "conv"
      ? buildConvEncoder(config, shape, rng)
      : buildDenseEncoder(config, pixels, rng);
  const codeInput = tf.input({ shape: [config.codeSize], name: "code_input" });
  const logits =
    config.kind === "conv"
      ? buildConvDecoderLayers(config, shape, rng, codeInput)
      : buildDenseDecoderLayers(config, pixels, rng, codeInput);
  const pixelsOut = tf.layers
    .activation({ activation: "sigmoid", name: "pixels" })
    .apply(logits) as tf.SymbolicTensor;
  const decoder = tf.model({ inputs: codeInput, outputs: pixelsOut, name: "decoder" });
  const decoderLogits = tf.model({ inputs: codeInput, outputs: logits, name: "decoder_logits" });
  const varianceHead = config.kind === "vae" ? buildVarianceHead(encoder, config) : undefined;
  return assemble(encoder, decoder, decoderLogits, varianceHead);
}

/**
 * VAE: a linear layer from the encoder's features (the code layer's input) to the log-variance
 * of the code. Zero-initialised kernel and bias: training starts with unit variance everywhere.
 */
function buildVarianceHead(encoder: tf.LayersModel, config: ModelConfig): tf.LayersModel {
  const width = (encoder.getLayer("code").input as tf.SymbolicTensor).shape[1] as number;
  const features = tf.input({ shape: [width], name: "features" });
  const logVariance = tf.layers
    .dense({
      units: config.codeSize,
      activation: "linear",
      name: "log_variance",
      kernelInitializer: tf.initializers.zeros(),
      biasInitializer: tf.initializers.zeros(),
    })
    .apply(features) as tf.SymbolicTensor;
  return tf.model({ inputs: features, outputs: logVariance, name: "variance_head" });
}

/** Wrap loaded or built encoder/decoder models (decoder must end with the sigmoid layer "pixels"). */
export function assemble(
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  decoderLogits?: tf.LayersModel,
  varianceHead?: tf.LayersModel,
): Autoencoder {
  // The head reads the encoder's own features, so encoder and variance share their layers.
  const variance = varianceHead
    ? tf.model({
        inputs: encoder.inputs,
        outputs: varianceHead.apply(
          encoder.getLayer("code").input as tf.SymbolicTensor,
        ) as tf.SymbolicTensor,
        name: "encoder_log_variance",
      })
    : undefined;
  const logitsModel =
    decoderLogits ??
    tf.model({
      inputs: decoder.inputs,
      outputs: decoder.getLayer("pixels").input as tf.SymbolicTensor,
      name: "decoder_logits",
    });
  return {
    encoder,
    decoder,
    decoderLogits: logitsModel,
    varianceHead,
    variance,
    trainableWeights: () =>
      [
        ...encoder.trainableWeights,
        ...decoder.trainableWeights,
        ...(varianceHead?.trainableWeights ?? []),
      ].map((w) => w.read() as tf.Variable),
    dispose() {
      encoder.dispose();
      decoder.dispose();
      varianceHead?.dispose();
    },
  };
}

/** Codes for a batch of flat images: [batch, pixels] -> [batch, codeSize]. */
export function encode(model: Autoencoder, images: tf.Tensor2D): tf.Tensor2D {
  return model.encoder.apply(images) as tf.Tensor2D;
}

/** Reconstructed pixels in [0, 1] for a batch of flat images. */
export function reconstruct(model: Autoencoder, images: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => model.decoder.apply(model.encoder.apply(images)) as tf.Tensor2D);
}

/** Total number of trainable parameters. */
export function countParameters(model: Autoencoder): number {
  return model.trainableWeights().reduce((sum, w) => sum + w.size, 0);
}
