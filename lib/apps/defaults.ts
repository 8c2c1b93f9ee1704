/**
 * The variants notebooks 07–10 train, in one place, so the main job and scripts/train-variants.ts
 * (which train them ahead of the notebooks, without a cell timeout) and the notebooks' parameter
 * cells agree (a test checks the cells). Their epochs, like every other setting of theirs, come
 * from the config table: its comparison preset (`comparisonConfig()`, 3 epochs per model).
 */
import type { CorruptionKind } from "./denoise";

/** Notebook 07: one denoising autoencoder per kind and level. */
export const DENOISING_DEFAULTS = {
  kinds: ["gaussian", "salt-and-pepper", "masking"] as CorruptionKind[],
  levels: [0.2, 0.5],
};

/** Notebook 08: one model trained without each digit. */
export const HELD_OUT_DEFAULTS = {
  digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
};

/** Notebook 09: one dense model per code size for the rate–distortion curve (runs rd-code-<k>). */
export const RATE_DISTORTION_DEFAULTS = {
  codeSizes: [2, 4, 8, 16, 32, 64, 128],
};

/** Notebook 10: the 2-number plain autoencoder (rd-code-2, shared with 09) and a 2-number VAE. */
export const GENERATION_DEFAULTS = {
  klWeight: 1,
};
