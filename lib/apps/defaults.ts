/**
 * The variants notebooks 07 and 08 train, in one place, so scripts/train-variants.ts (which trains
 * them ahead of the notebooks, without a cell timeout) and the notebooks' parameter cells agree.
 */
import type { CorruptionKind } from "./denoise";

/** Notebook 07: one denoising autoencoder per kind and level, and epochs per model (full settings). */
export const DENOISING_DEFAULTS = {
  kinds: ["gaussian", "salt-and-pepper", "masking"] as CorruptionKind[],
  levels: [0.2, 0.5],
  epochs: 5,
};

/** Notebook 08: one model trained without each digit, and epochs per model (full settings). */
export const HELD_OUT_DEFAULTS = {
  digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  epochs: 5,
};
