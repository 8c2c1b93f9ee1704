/**
 * Models on disk in the tfjs layers format: `model.json` (topology + weights manifest) and
 * `weights.bin`. The same files load in a browser with tf.loadLayersModel("…/model.json").
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { AutoencoderLabError } from "../errors";
import { writeFileAtomic, writeJsonAtomic } from "./atomic";

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

/** A saved model is missing files or does not match its manifest. */
export class ModelFilesError extends AutoencoderLabError {}

/** A model serialised in memory: what model.json and weights.bin will hold. */
export interface ModelArtifactsInMemory {
  topology: object;
  specs: tf.io.WeightsManifestEntry[];
  weights: Uint8Array;
}

/** Serialise a layers model in memory (so several can be written together into one folder swap). */
export async function captureModel(model: tf.LayersModel): Promise<ModelArtifactsInMemory> {
  let captured: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  const a = captured as tf.io.ModelArtifacts | null;
  if (!a?.weightData || !a.weightSpecs || !a.modelTopology) {
    throw new ModelFilesError(`Model ${model.name} could not be serialised.`);
  }
  return {
    topology: a.modelTopology as object,
    specs: a.weightSpecs,
    weights: new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData)),
  };
}

/** Write captured artifacts as model.json + weights.bin into `folder` (created if needed). */
export function writeModelFiles(artifacts: ModelArtifactsInMemory, folder: string): void {
  fs.mkdirSync(folder, { recursive: true });
  writeFileAtomic(path.join(folder, WEIGHTS_BIN), artifacts.weights);
  writeJsonAtomic(path.join(folder, MODEL_JSON), {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: null,
    modelTopology: artifacts.topology,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.specs }],
  });
}

/** Load a layers model written by writeModelFiles (or any single-shard layers model folder). */
export async function loadModelFiles(folder: string): Promise<tf.LayersModel> {
  const jsonPath = path.join(folder, MODEL_JSON);
  if (!fs.existsSync(jsonPath)) {
    throw new ModelFilesError(
      `No model at ${folder}: ${MODEL_JSON} is missing. Was the run finished or checkpointed?`,
    );
  }
  let json: {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  } catch (error) {
    throw new ModelFilesError(
      `${jsonPath} is damaged (${(error as Error).message}). Re-save the model or retrain.`,
    );
  }
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = json.weightsManifest.flatMap((group) =>
    group.paths.map((p) => {
      const file = path.join(folder, p);
      if (!fs.existsSync(file)) {
        throw new ModelFilesError(
          `Weights file ${file} listed in ${jsonPath} is missing: the model cannot be loaded. ` +
            `Restore the file, or resume training from the run's checkpoint.`,
        );
      }
      const b = fs.readFileSync(file);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    }),
  );
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  const expectedBytes = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weightData.byteLength !== expectedBytes) {
    throw new ModelFilesError(
      `Weights in ${folder} are ${weightData.byteLength} bytes but ${jsonPath} describes ${expectedBytes}: ` +
        `the files are truncated or from different models. Resume from the checkpoint or retrain.`,
    );
  }
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
  );
}
