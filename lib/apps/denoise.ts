/**
 * Denoising: corrupt a clean test set (seeded, the same corruption the trainer applies), let a
 * model reconstruct it, and measure how close noisy input and denoised output are to the clean
 * images (PSNR in dB and SSIM: higher is better for both). Also the variant specs of denoising
 * autoencoders for ensureRuns, and a clean / noisy / denoised gallery.
 */
import type { NoiseConfig, NoiseKind } from "../config";
import type { ImageSet, ImageShape } from "../data/types";
import { AutoencoderLabError } from "../errors";
import { psnr } from "../quality/metrics";
import type { Autoencoder } from "../model/autoencoder";
import { corrupt } from "../model/noise";
import type { Figure } from "../plots/figure";
import { imageGridFigure } from "../plots/images";
import { deriveSeed } from "../random";
import { loadRunModel, type LoadedRun } from "../runs/run-folder";
import { meanSsim } from "../quality/ssim";
import { mapBatches, reconstructSet } from "../model/inference";
import type { VariantSpec } from "./variants";

/** A corruption that actually changes images (kind "none" is the plain autoencoder). */
export type CorruptionKind = Exclude<NoiseKind, "none">;

/** The run name of a denoising variant, e.g. "denoise-gaussian-0.5". */
export function denoisingRunName(noise: NoiseConfig): string {
  return `denoise-${noise.kind}-${noise.level}`;
}

/**
 * One denoising autoencoder per kind × level, plus (withPlain) a plain autoencoder trained with
 * the same budget ("denoise-none"), as specs for ensureRuns. `extra` overrides apply to all
 * (e.g. {train: {epochs: 5}}).
 */
export function denoisingVariants(
  kinds: readonly CorruptionKind[],
  levels: readonly number[],
  extra: Record<string, unknown> = {},
  withPlain = true,
): VariantSpec[] {
  const specs: VariantSpec[] = [];
  if (withPlain) specs.push({ name: "denoise-none", overrides: { ...extra } });
  for (const kind of kinds) {
    for (const level of levels) {
      specs.push({
        name: denoisingRunName({ kind, level }),
        overrides: { ...extra, "model.noise.kind": kind, "model.noise.level": level },
      });
    }
  }
  return specs;
}

/**
 * The images of `set` corrupted by `noise` (flat [count × pixels]). Seeded: batch b uses
 * deriveSeed(seed, b), so the result depends only on the seed, the set and the batch size.
 */
export function corruptSet(
  set: ImageSet,
  pixels: number,
  noise: NoiseConfig,
  seed: number,
  batchSize = 1000,
): Float32Array {
  if (noise.kind === "none" || noise.level === 0) return set.images.slice();
  let batch = 0;
  return mapBatches(
    set,
    pixels,
    pixels,
    (x) => corrupt(x, noise, deriveSeed(seed, batch++)),
    batchSize,
  );
}

/** PSNR (dB, mean over images) and SSIM (mean over images) of images against the clean set. */
export interface Fidelity {
  psnr: number;
  ssim: number;
}

export interface DenoisingResult {
  /** The noisy input, compared with the clean images. */
  noisy: Fidelity;
  /** The model's output from the noisy input, compared with the clean images. */
  denoised: Fidelity;
  /** The denoised images (flat [count × pixels]), e.g. for a gallery. */
  images: Float32Array;
}

/** Reconstruct `noisy` (the corrupted `clean` images) with `model` and measure both against `clean`. */
export function evaluateDenoising(
  model: Autoencoder,
  clean: ImageSet,
  noisy: Float32Array,
  shape: ImageShape,
): DenoisingResult {
  const pixels = shape.height * shape.width * shape.channels;
  if (noisy.length !== clean.images.length) {
    throw new AutoencoderLabError(
      `evaluateDenoising: ${noisy.length} noisy values for ${clean.images.length} clean ones; corrupt the same set (corruptSet).`,
    );
  }
  const images = reconstructSet(
    model,
    { images: noisy, labels: clean.labels, count: clean.count },
    pixels,
  );
  return {
    noisy: fidelity(clean.images, noisy, shape),
    denoised: fidelity(clean.images, images, shape),
    images,
  };
}

/** PSNR and SSIM of `images` against `clean` (both flat [count × pixels]). */
export function fidelity(clean: Float32Array, images: Float32Array, shape: ImageShape): Fidelity {
  const pixels = shape.height * shape.width * shape.channels;
  return { psnr: psnr(clean, images, pixels), ssim: meanSsim(clean, images, shape) };
}

/** One row of images for the gallery: a name and flat [count × pixels] images of one set. */
export interface GalleryRow {
  name: string;
  images: Float32Array;
}

/**
 * A grid with one column per example (`indices` into the sets) and one row per set: e.g. clean,
 * noisy, denoised by the denoising model, by the plain autoencoder.
 */
export function denoisingGalleryFigure(
  rows: readonly GalleryRow[],
  indices: readonly number[],
  shape: ImageShape,
  options: { title?: string; columnLabels?: readonly string[] } = {},
): Figure {
  const pixels = shape.height * shape.width * shape.channels;
  return imageGridFigure(
    rows.map((row) => indices.map((i) => row.images.subarray(i * pixels, (i + 1) * pixels))),
    shape,
    {
      title: options.title,
      rowLabels: rows.map((r) => r.name),
      columnLabels: options.columnLabels,
    },
  );
}

/** Indices of the first `perClass` images of each class 0..classes-1 (for a balanced gallery). */
export function examplesPerClass(
  labels: ArrayLike<number>,
  classes: number,
  perClass = 1,
): number[] {
  const out: number[] = [];
  for (let c = 0; c < classes; c++) {
    let found = 0;
    for (let i = 0; i < labels.length && found < perClass; i++) {
      if (labels[i] === c) {
        out.push(i);
        found++;
      }
    }
  }
  return out;
}

/** A model to compare on the same noisy input, with the name used in tables and galleries. */
export interface NamedModel {
  name: string;
  model: Autoencoder;
}

/** Results of all models on one corruption of the clean set. */
export interface CorruptionResult {
  noise: NoiseConfig;
  /** The noisy input against the clean images. */
  noisy: Fidelity;
  /** Each model's output from the noisy input, by model name, against the clean images. */
  outputs: Record<string, Fidelity>;
  /** Gallery rows for the chosen examples: clean, noisy, then each model's output. */
  gallery: GalleryRow[];
}

/**
 * For each denoising run: corrupt `clean` as that run was trained to undo (seeded with `seed`),
 * then measure the run's own model ("denoising AE") and every model of `baselines` on that same
 * noisy input. Models of the runs are loaded one at a time and disposed; baselines are not.
 * Only the images at `galleryIndices` are kept (for denoisingGalleryFigure).
 */
export async function compareDenoisers(
  runs: readonly LoadedRun[],
  baselines: readonly NamedModel[],
  clean: ImageSet,
  shape: ImageShape,
  options: { seed: number; galleryIndices?: readonly number[] },
): Promise<CorruptionResult[]> {
  const pixels = shape.height * shape.width * shape.channels;
  const indices = options.galleryIndices ?? [];
  const pick = (images: Float32Array) => {
    const out = new Float32Array(indices.length * pixels);
    indices.forEach((i, k) => out.set(images.subarray(i * pixels, (i + 1) * pixels), k * pixels));
    return out;
  };
  const results: CorruptionResult[] = [];
  for (const run of runs) {
    const noise = run.config.model.noise;
    const noisy = corruptSet(clean, pixels, noise, options.seed);
    const dae = await loadRunModel(run);
    try {
      const models = [{ name: "denoising AE", model: dae }, ...baselines];
      const outputs: Record<string, Fidelity> = {};
      const gallery: GalleryRow[] = [
        { name: "clean", images: pick(clean.images) },
        { name: "noisy", images: pick(noisy) },
      ];
      for (const { name, model } of models) {
        const result = evaluateDenoising(model, clean, noisy, shape);
        outputs[name] = result.denoised;
        gallery.push({ name, images: pick(result.images) });
      }
      results.push({ noise, noisy: fidelity(clean.images, noisy, shape), outputs, gallery });
    } finally {
      dae.dispose();
    }
  }
  return results;
}

/** Table rows: one per corruption; PSNR and SSIM of the noisy input and of every model's output. */
export function denoisingTable(results: readonly CorruptionResult[]): Record<string, unknown>[] {
  const round = (v: number, d: number) => Number(v.toFixed(d));
  return results.map((r) => {
    const row: Record<string, unknown> = { noise: r.noise.kind, level: r.noise.level };
    row["PSNR noisy"] = round(r.noisy.psnr, 2);
    for (const [name, f] of Object.entries(r.outputs)) row[`PSNR ${name}`] = round(f.psnr, 2);
    row["SSIM noisy"] = round(r.noisy.ssim, 3);
    for (const [name, f] of Object.entries(r.outputs)) row[`SSIM ${name}`] = round(f.ssim, 3);
    return row;
  });
}
