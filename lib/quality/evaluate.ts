/** Test-set evaluation of a trained autoencoder: its metrics next to the baselines'. */
import type { ImageSet } from "../data/types";
import type { Autoencoder } from "../model/autoencoder";
import { meanImage, reconstructSet } from "../model/inference";
import { reconstructionReport } from "./metrics";

/** Metrics of the model on `set`, next to the all-black and mean-training-image baselines. */
export function evaluateReconstruction(
  model: Autoencoder,
  set: ImageSet,
  train: ImageSet,
  pixels: number,
) {
  const reconstructions = reconstructSet(model, set, pixels);
  return reconstructionReport(set.images, reconstructions, pixels, meanImage(train, pixels));
}
