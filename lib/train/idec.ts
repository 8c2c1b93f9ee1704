/**
 * Deep embedded clustering as a run: fine-tune a trained run's encoder (and, for IDEC, its
 * decoder) so that its codes form k compact clusters (Xie et al. 2016; Guo et al. 2017).
 *
 * Start: the parent run's model; centroids μ from k-means on its training codes (config.dec.init).
 * Then, every config.dec.updateInterval steps (T), the soft assignments Q of the whole training
 * split are computed and the target P is sharpened from them (lib/ml/dec.ts); between updates
 * Adam minimises γ·KL(P ‖ Q) (+ the reconstruction loss for IDEC) over batches, moving the encoder
 * and the centroids together. Training stops when fewer than config.dec.tolerance of the training
 * images changed cluster between two updates, or after config.dec.maxEpochs passes.
 *
 * The result is a run like any other (config, history, checkpoints, encoder and decoder, metrics)
 * with run.json's `derivedFrom` naming the parent and config.dec.parentRun too. A checkpoint is
 * written at every update, holding the centroids and the assignments of that update beside model
 * and optimizer, so a killed fine-tuning resumes where it stopped and ends exactly as an
 * uninterrupted one. Batch order is derived from (seed, pass), like the plain trainer's.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig, validateConfig, type ExperimentConfig } from "../config";
import { describeBackend, initBackend } from "../backend/select";
import { loadDataset, prepareDataset } from "../data";
import { gatherRowsInto } from "../data/batches";
import type { ImageSet, PreparedDataset } from "../data/types";
import { pixelsPerImage } from "../data/types";
import { AutoencoderLabError, ConfigError } from "../errors";
import { clusterCodes } from "../latent/cluster-codes";
import { adjustedRandIndex, clusterAccuracy, normalizedMutualInfo } from "../ml/cluster-metrics";
import { pickRows } from "../runs/code-sample";
import { knnPredict } from "../latent/probes";
import {
  assignmentChange,
  clusteringLoss,
  hardAssignments,
  softAssignment,
  targetDistribution,
} from "../ml/dec";
import { kmeans } from "../ml/kmeans";
import type { Autoencoder } from "../model/autoencoder";
import { createRng, deriveSeed, permutation } from "../random";
import { writeJsonAtomic } from "../runs/atomic";
import {
  hasCheckpoint,
  loadCheckpoint,
  loadRun,
  loadRunModel,
  RunError,
  runFolder,
  RunWriter,
  type LoadedRun,
} from "../runs/run-folder";
import { encodeSet } from "../model/inference";
import { evaluateReconstruction } from "../quality/evaluate";
import { datasetRecord } from "./experiment";
import { reconstructionLoss } from "./losses";
import { evaluateLosses, NonFiniteLossError, type EpochRecord } from "./trainer";

/** One target update of a fine-tuning run: the interval of T steps before it, then the update. */
export interface DecRecord extends EpochRecord {
  /** Optimiser steps done so far. */
  step: number;
  /** Passes over the training split so far (step × batch / images). */
  passes: number;
  /** Means over the interval's batches: KL(P ‖ Q) per image, reconstruction loss per pixel. */
  clusteringLoss: number;
  reconstructionLoss: number;
  /** Share of training images whose cluster (argmax Q) changed at this update. */
  changed: number;
  /** KL(P ‖ Q) over the whole training split at this update. */
  fullClusteringLoss: number;
  /**
   * Clustering accuracy of the training assignments against the true labels, for monitoring
   * only (training never sees a label).
   */
  trainAccuracy: number;
}

/** ACC / NMI / ARI of a clustering against the true classes. */
export interface ClusterScore {
  accuracy: number;
  nmi: number;
  ari: number;
}

/** What a fine-tuning run writes into metrics.json (beside the reconstruction report). */
export interface DecMetrics {
  test: ReturnType<typeof evaluateReconstruction>;
  /** The parent's test reconstruction report (from its metrics.json, when present). */
  parentTest: unknown;
  clustering: {
    /** On the test set: DEC's own clusters (argmax Q with the learned centroids) and k-means. */
    test: { dec: ClusterScore; kmeans: ClusterScore };
    /** The initial centroids' clusters on the training split (argmax Q before fine-tuning). */
    initialTrain: ClusterScore;
  };
  stopReason: DecStopReason;
  steps: number;
  passes: number;
}

export type DecStopReason = "converged" | "max-epochs" | "interrupted";

export interface FineTuneProgress {
  step: number;
  maxSteps: number;
  loss: number;
}

export interface FineTuneOptions {
  /** Continue the run config.train.runName from its last checkpoint. */
  resume?: boolean;
  /** Abort to stop after the current step (the last checkpoint, at the last update, is kept). */
  signal?: AbortSignal;
  /** The parent's data, already prepared with its config (saves reloading). */
  data?: PreparedDataset;
  /** After every target update (and its checkpoint). */
  onUpdate?: (record: DecRecord, history: readonly DecRecord[]) => void;
  /** After every optimiser step (keep it cheap). */
  onStep?: (progress: FineTuneProgress) => void;
  /** A line of text about what is happening (initialisation, stop). */
  log?: (line: string) => void;
}

export interface FineTuneResult {
  runName: string;
  folder: string;
  config: ExperimentConfig;
  history: DecRecord[];
  stopReason: DecStopReason;
  /** Final centroids, k × codeSize. */
  centroids: Float32Array;
  /** null when interrupted. */
  metrics: DecMetrics | null;
  seconds: number;
}

/**
 * The fine-tuning settings of the recommended clustering path (CLUSTERING_RUNS, docs/clustering.md):
 * start from N2D's clusters of the parent's training codes (standardise → UMAP-2 → GMM, one run),
 * hold them as the target for the first interval, then IDEC's self-training, T = 350 steps, 3
 * passes (about 2 minutes for the deep parent on 2 cores). Pass as the `dec` overrides of
 * decRunConfig / ensureDecRun.
 */
export const RECOMMENDED_DEC = {
  init: "umap-gmm",
  initRuns: 1,
  updateInterval: 350,
  maxEpochs: 3,
} as const satisfies Partial<ExperimentConfig["dec"]>;

const CENTROIDS_FILE = "centroids.bin";
/** Scores of the initial clusters on the training split (monitoring only). */
const INITIAL_FILE = "initial-clusters.json";
const ASSIGNMENTS_FILE = "assignments.bin";
/** The final centroids and settings, in the run folder (model/ holds encoder and decoder). */
export const CLUSTERING_FILE = "clustering.json";
/** Which parent, exactly, a fine-tuning started from (ParentIdentity), written at its start. */
export const PARENT_FILE = "parent.json";

/**
 * What identifies the parent a fine-tuning started from: its name, when it was created, and a
 * SHA-256 over its final model's files (encoder and decoder). A parent retrained under the same
 * name and config has another creation time and other weights, so ensureDecRun notices it.
 */
export interface ParentIdentity {
  name: string;
  createdAt: string;
  modelSha256: string;
}

/** The identity of a finished run as a parent (throws RunError when its model files are missing). */
export function parentIdentity(parent: LoadedRun): ParentIdentity {
  const hash = createHash("sha256");
  for (const part of ["encoder", "decoder"]) {
    for (const file of ["model.json", "weights.bin"]) {
      const full = path.join(parent.folder, "model", part, file);
      if (!fs.existsSync(full)) {
        throw new RunError(
          `Run "${parent.record.name}" has no ${path.join("model", part, file)}: it cannot be fine-tuned; finish or retrain it.`,
        );
      }
      hash.update(`${part}/${file}\n`);
      hash.update(fs.readFileSync(full));
    }
  }
  return {
    name: parent.record.name,
    createdAt: parent.record.createdAt,
    modelSha256: hash.digest("hex"),
  };
}

/** The parent identity a fine-tuning run recorded at its start; null for runs made before it was. */
export function recordedParent(run: LoadedRun): ParentIdentity | null {
  const file = path.join(run.folder, PARENT_FILE);
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, "utf8")) as ParentIdentity;
}

function sameParent(a: ParentIdentity | null, b: ParentIdentity): boolean {
  return a !== null && a.createdAt === b.createdAt && a.modelSha256 === b.modelSha256;
}

/**
 * The config of a run fine-tuned from `parent`: the parent's data, model and seed, its train
 * section (backend, runsDir) with train.runName = name, and dec = the defaults with `dec`
 * overrides applied and dec.parentRun = the parent's name.
 */
export function decRunConfig(
  parent: LoadedRun,
  name: string,
  overrides: Partial<ExperimentConfig["dec"]> = {},
  runsDir: string = parent.config.train.runsDir,
): ExperimentConfig {
  const base = validateConfig({
    ...parent.config,
    dec: { ...resolveConfig().dec, ...overrides },
  });
  return resolveConfig(
    { train: { runName: name, runsDir }, dec: { parentRun: parent.record.name } },
    base,
  );
}

/** Soft assignments of codes z [b, dim] to centroids mu [k, dim] on tensors (see softAssignment). */
export function softAssignmentTensor(z: tf.Tensor2D, mu: tf.Tensor2D, alpha: number): tf.Tensor2D {
  return tf.tidy(() => {
    const diff = tf.sub(tf.expandDims(z, 1), tf.expandDims(mu, 0)); // [b, k, dim]
    const d2 = tf.sum(tf.square(diff), 2);
    const kernel = tf.pow(tf.add(1, tf.div(d2, alpha)), -(alpha + 1) / 2);
    return tf.div(kernel, tf.sum(kernel, 1, true)) as tf.Tensor2D;
  });
}

/** KL(P ‖ Q) per row, averaged over rows, on tensors (p = 0 terms count 0). */
export function clusteringLossTensor(p: tf.Tensor2D, q: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const logRatio = tf.sub(tf.log(tf.maximum(p, 1e-30)), tf.log(q));
    return tf.div(tf.sum(tf.mul(p, logRatio)), p.shape[0]) as tf.Scalar;
  });
}

/**
 * The starting clusters of the training codes, as config.dec.init says: centroids (k × dim), and
 * for umap-gmm the clusters themselves (each image's cluster), which are the first target.
 */
async function initialClusters(
  codes: Float32Array,
  n: number,
  dim: number,
  config: ExperimentConfig,
  log: (line: string) => void,
): Promise<{ centroids: Float32Array; labels: Int32Array | null }> {
  const k = config.analysis.clusters;
  const seed = deriveSeed(config.seed, 13);
  if (config.dec.init === "kmeans") {
    const km = kmeans(codes, n, dim, { k, restarts: config.analysis.kmeansRestarts, seed });
    log(
      `k-means on ${n} training codes: ${km.iterations} iterations, inertia ${km.inertia.toFixed(0)}`,
    );
    return { centroids: km.centroids, labels: null };
  }
  // N2D's clusters (standardise → UMAP-2 → GMM) on a sample, carried to every training image by
  // a 5-NN vote among the sample's codes; each centroid is the mean code of its cluster.
  const count = Math.min(n, config.analysis.sampleCount);
  const rows = permutation(n, createRng(seed)).subarray(0, count);
  const sample = pickRows(codes, dim, rows);
  // UMAP's layout depends on its seed, and now and then two digits share a cluster: with several
  // runs, keep the clustering that agrees best (mean ARI) with the others, a choice without labels.
  const clustered = await clusterCodes(sample, count, dim, {
    normalize: "standardize",
    embedding: {
      kind: "umap",
      neighbors: config.analysis.umapNeighbors,
      minDist: 0,
      components: 2,
    },
    method: "gmm",
    k,
    seed,
    runs: config.dec.initRuns,
  });
  const embedSeconds = clustered.seconds.embed;
  if (clustered.selection) {
    const { agreement, chosen } = clustered.selection;
    log(
      `N2D runs' mean agreement (ARI) with the others: ${agreement.map((a) => a.toFixed(3)).join(", ")}: run ${chosen + 1} kept`,
    );
  }
  const labels =
    count === n
      ? Int32Array.from(clustered.assignments)
      : knnPredict({ points: sample, labels: clustered.assignments, n: count }, codes, n, dim, {
          k: 5,
        });
  for (let i = 0; i < count; i++) labels[rows[i]] = clustered.assignments[i];
  const centroids = new Float64Array(k * dim);
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    sizes[c]++;
    for (let t = 0; t < dim; t++) centroids[c * dim + t] += codes[i * dim + t];
  }
  for (let c = 0; c < k; c++) {
    // An empty mixture component (rare): start that centroid at a code.
    if (sizes[c] === 0) {
      for (let t = 0; t < dim; t++) centroids[c * dim + t] = codes[(c % n) * dim + t];
    } else for (let t = 0; t < dim; t++) centroids[c * dim + t] /= sizes[c];
  }
  log(`UMAP → GMM on ${count} training codes: ${embedSeconds.toFixed(1)} s embedding`);
  return { centroids: Float32Array.from(centroids), labels };
}

function score(labels: ArrayLike<number>, assignments: ArrayLike<number>): ClusterScore {
  return {
    accuracy: clusterAccuracy(labels, assignments).accuracy,
    nmi: normalizedMutualInfo(labels, assignments),
    ari: adjustedRandIndex(labels, assignments),
  };
}

/** Q and P of a whole set: codes by the model, centroids `mu`. */
function assignSet(
  model: Autoencoder,
  set: ImageSet,
  pixels: number,
  centroids: Float32Array,
  k: number,
  alpha: number,
): { codes: Float32Array; q: Float64Array; p: Float64Array; assignments: Int32Array } {
  const codes = encodeSet(model, set, pixels);
  const dim = codes.length / set.count;
  const q = softAssignment(codes, set.count, dim, centroids, k, alpha);
  const p = targetDistribution(q, set.count, k);
  return { codes, q, p, assignments: hardAssignments(q, set.count, k) };
}

function checkDecConfig(config: ExperimentConfig, data: PreparedDataset): void {
  if (!config.dec.parentRun) {
    throw new ConfigError(
      'Config key "dec.parentRun" must name the trained run to fine-tune (e.g. "reference"): DEC/IDEC starts from its encoder.',
    );
  }
  if (!config.train.runName) {
    throw new ConfigError('Config key "train.runName" must name the fine-tuned run.');
  }
  if (config.dec.batchSize > data.train.count) {
    throw new ConfigError(
      `Config key "dec.batchSize" is ${config.dec.batchSize}, more than the ${data.train.count} training images: set it to at most ${data.train.count}.`,
    );
  }
  if (config.analysis.clusters > data.train.count) {
    throw new ConfigError(
      `Config key "analysis.clusters" is ${config.analysis.clusters}, more than the ${data.train.count} training images.`,
    );
  }
}

const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Fine-tune config.dec.parentRun into the run config.train.runName (build the config with
 * decRunConfig). Throws RunError when the parent is missing or unfinished, or the run exists and
 * resume is false; NonFiniteLossError when the loss diverges.
 */
export async function fineTuneClustering(
  config: ExperimentConfig,
  options: FineTuneOptions = {},
): Promise<FineTuneResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const parentName = config.dec.parentRun ?? "";
  const parent = loadRun(parentName || "(unset)", config.train.runsDir);
  if (parent.record.status !== "completed" && parent.record.status !== "early-stopping") {
    throw new RunError(
      `Parent run "${parentName}" has not finished (status ${parent.record.status}): finish it (--resume) before fine-tuning it.`,
    );
  }
  const identity = parentIdentity(parent);
  const backend = await initBackend(config.train.backend);
  const data =
    options.data ?? prepareDataset(await loadDataset(config.data), config.data, config.seed);
  checkDecConfig(config, data);
  const pixels = pixelsPerImage(data.shape);
  const { alpha, batchSize, updateInterval, tolerance } = config.dec;
  const k = config.analysis.clusters;
  const train = data.train;
  const stepsPerPass = Math.ceil(train.count / batchSize);
  const maxSteps = Math.max(1, Math.round(config.dec.maxEpochs * stepsPerPass));

  const writer = RunWriter.open(config, {
    resume: options.resume,
    variant: true,
    derivedFrom: parentName,
    backend: describeBackend(backend),
    dataset: datasetRecord(data),
  });
  const optimizer = tf.train.adam(config.dec.learningRate);
  let model: Autoencoder | null = null;
  let mu: tf.Variable | null = null;
  try {
    let history: DecRecord[] = [];
    let centroids: Float32Array;
    let previous: Int32Array | null = null;
    let resumed = false;
    let initialLabels: Int32Array | null = null;
    if (options.resume && hasCheckpoint(writer.folder)) {
      const recorded = recordedParent(loadRun(writer.folder));
      if (recorded && !sameParent(recorded, identity)) {
        throw new RunError(
          `Run "${writer.name}" was fine-tuned from another "${parentName}" (created ${recorded.createdAt}, now ${identity.createdAt}): it cannot be resumed from this one; fine-tune it anew under another name, or move it aside (ensureDecRun does).`,
        );
      }
      const checkpoint = await loadCheckpoint(loadRun(writer.folder), optimizer, {
        extraFiles: [CENTROIDS_FILE, ASSIGNMENTS_FILE],
      });
      model = checkpoint.model;
      history = checkpoint.history as DecRecord[];
      centroids = floatsOf(checkpoint.extraFiles[CENTROIDS_FILE]);
      previous = intsOf(checkpoint.extraFiles[ASSIGNMENTS_FILE]);
      resumed = true;
      log(`resumed at step ${history[history.length - 1]?.step ?? 0} (update ${history.length})`);
    } else {
      writeJsonAtomic(path.join(writer.folder, PARENT_FILE), identity);
      model = await loadRunModel(parent);
      const codes = encodeSet(model, train, pixels);
      const start = await initialClusters(
        codes,
        train.count,
        codes.length / train.count,
        config,
        log,
      );
      centroids = start.centroids;
      initialLabels = start.labels;
    }
    const dim = centroids.length / k;
    const initial = assignSet(model, train, pixels, centroids, k, alpha);
    if (initialLabels) {
      // umap-gmm: the first interval's target is the N2D clusters themselves (one-hot), so the
      // codes gather around them before the usual self-training takes over.
      initial.p = new Float64Array(train.count * k);
      for (let i = 0; i < train.count; i++) initial.p[i * k + initialLabels[i]] = 1;
      initial.assignments = initialLabels;
    }
    // The starting clusters' scores, kept in the folder so a resumed run reports the same ones.
    const initialFile = path.join(writer.folder, INITIAL_FILE);
    let initialTrain: ClusterScore;
    if (resumed && fs.existsSync(initialFile)) {
      initialTrain = JSON.parse(fs.readFileSync(initialFile, "utf8")) as ClusterScore;
    } else {
      initialTrain = score(train.labels, initial.assignments);
      writeJsonAtomic(initialFile, initialTrain);
      log(`initial clusters on the training split: ACC ${initialTrain.accuracy.toFixed(4)}`);
    }
    mu = tf.variable(tf.tensor2d(centroids, [k, dim]), true, `dec_centroids_${Date.now()}`);
    const trained = model;
    const variables = [
      ...trained.encoder.trainableWeights.map((w) => w.read() as tf.Variable),
      ...(config.dec.method === "idec"
        ? trained.decoder.trainableWeights.map((w) => w.read() as tf.Variable)
        : []),
      mu,
    ];
    const rows = new Float32Array(batchSize * pixels);
    const targetRows = new Float32Array(batchSize * k);
    let orderPass = -1;
    let orderRows: Uint32Array = new Uint32Array(0);
    const order = (pass: number): Uint32Array => {
      if (pass !== orderPass) {
        orderRows = permutation(train.count, createRng(deriveSeed(config.seed, 7, pass)));
        orderPass = pass;
      }
      return orderRows;
    };
    let step = history[history.length - 1]?.step ?? 0;
    let stopReason: DecStopReason = "max-epochs";
    let state = initial;
    const sums = { loss: 0, kl: 0, rec: 0, steps: 0 };
    let intervalStart = performance.now();
    for (let first = true; ; first = false) {
      if (!first) state = assignSet(trained, train, pixels, readCentroids(mu), k, alpha);
      const changed = previous ? assignmentChange(previous, state.assignments) : 1;
      if (!(first && resumed) && step > 0) {
        const trainSeconds = (performance.now() - intervalStart) / 1000;
        const val = evaluateLosses(trained, data.validation, pixels);
        const record: DecRecord = {
          epoch: history.length + 1,
          step,
          passes: (step * batchSize) / train.count,
          trainLoss: sums.loss / sums.steps,
          clusteringLoss: sums.kl / sums.steps,
          reconstructionLoss: sums.rec / sums.steps,
          valLoss: val.bce,
          valBce: val.bce,
          valMse: val.mse,
          changed,
          fullClusteringLoss: clusteringLoss(state.p, state.q, train.count, k),
          trainAccuracy: clusterAccuracy(train.labels, state.assignments).accuracy,
          trainSeconds,
          epochSeconds: (performance.now() - intervalStart) / 1000,
          samplesPerSecond: (sums.steps * batchSize) / Math.max(1e-9, trainSeconds),
        };
        history.push(record);
        await writer.checkpoint(trained, optimizer, history, {
          [CENTROIDS_FILE]: bytesOf(readCentroids(mu)),
          [ASSIGNMENTS_FILE]: bytesOf(state.assignments),
        });
        options.onUpdate?.(record, history);
      }
      previous = state.assignments;
      const last = history[history.length - 1];
      if (last && last.changed < tolerance) {
        stopReason = "converged";
        log(
          `converged at step ${step}: ${(100 * last.changed).toFixed(3)}% of the assignments changed`,
        );
        break;
      }
      if (step >= maxSteps) break;
      if (options.signal?.aborted) {
        stopReason = "interrupted";
        break;
      }
      const p = Float32Array.from(state.p);
      sums.loss = sums.kl = sums.rec = sums.steps = 0;
      intervalStart = performance.now();
      let interrupted = false;
      for (let s = 0; s < updateInterval && step < maxSteps; s++) {
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
        const pass = Math.floor(step / stepsPerPass);
        const b = step % stepsPerPass;
        const perm = order(pass);
        const start = b * batchSize;
        const end = Math.min(train.count, start + batchSize);
        const count = gatherRowsInto(train.images, pixels, perm, start, end, rows);
        for (let r = 0; r < count; r++) {
          const i = perm[start + r];
          targetRows.set(p.subarray(i * k, (i + 1) * k), r * k);
        }
        const [loss, kl, rec] = trainStep(
          trained,
          mu,
          variables,
          optimizer,
          rows.subarray(0, count * pixels),
          targetRows.subarray(0, count * k),
          count,
          config,
        );
        if (!Number.isFinite(loss))
          throw new NonFiniteLossError(history.length + 1, step + 1, loss);
        sums.loss += loss;
        sums.kl += kl;
        sums.rec += rec;
        sums.steps++;
        step++;
        options.onStep?.({ step, maxSteps, loss });
        await nextMacrotask();
      }
      if (interrupted) {
        stopReason = "interrupted";
        break;
      }
    }
    const finalCentroids = readCentroids(mu);
    let metrics: DecMetrics | null = null;
    if (stopReason !== "interrupted") {
      await writer.saveModel(trained);
      writeJsonAtomic(path.join(writer.folder, CLUSTERING_FILE), {
        k,
        dim,
        alpha,
        parentRun: parentName,
        centroids: Array.from(finalCentroids),
      });
      const test = assignSet(trained, data.test, pixels, finalCentroids, k, alpha);
      const km = kmeans(test.codes, data.test.count, dim, {
        k,
        restarts: config.analysis.kmeansRestarts,
        seed: deriveSeed(config.seed, 14),
      });
      const parentMetrics = parent.metrics as { test?: unknown } | null;
      metrics = {
        test: evaluateReconstruction(trained, data.test, data.train, pixels),
        parentTest: parentMetrics?.test ?? null,
        clustering: {
          test: {
            dec: score(data.test.labels, test.assignments),
            kmeans: score(data.test.labels, km.assignments),
          },
          initialTrain,
        },
        stopReason,
        steps: step,
        passes: (step * batchSize) / train.count,
      };
      writer.writeMetrics(metrics);
    }
    writer.finish(stopReason === "interrupted" ? "interrupted" : "completed");
    return {
      runName: writer.name,
      folder: writer.folder,
      config,
      history,
      stopReason,
      centroids: finalCentroids,
      metrics,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    writer.finish("failed", message);
    if (error instanceof AutoencoderLabError) throw error;
    throw new AutoencoderLabError(
      `Fine-tuning run "${writer.name}" failed: ${message} (its last checkpoint is kept in ${writer.folder}).`,
    );
  } finally {
    model?.dispose();
    mu?.dispose();
    optimizer.dispose();
    writer.close();
  }
}

/** One Adam step on a batch; returns [total loss, KL(P‖Q), reconstruction loss]. */
function trainStep(
  model: Autoencoder,
  mu: tf.Variable,
  variables: tf.Variable[],
  optimizer: tf.Optimizer,
  images: Float32Array,
  targets: Float32Array,
  count: number,
  config: ExperimentConfig,
): [number, number, number] {
  const { gamma, alpha, method } = config.dec;
  const k = mu.shape[0] as number;
  const x = tf.tensor2d(images, [count, images.length / count]);
  const p = tf.tensor2d(targets, [count, k]);
  let parts: tf.Tensor | null = null;
  try {
    const cost = optimizer.minimize(
      () => {
        const z = model.encoder.apply(x) as tf.Tensor2D;
        const kl = clusteringLossTensor(p, softAssignmentTensor(z, mu as tf.Tensor2D, alpha));
        const rec =
          method === "idec"
            ? reconstructionLoss(config.train.loss, x, model.decoderLogits.apply(z) as tf.Tensor)
            : tf.scalar(0);
        const total = tf.add(tf.mul(gamma, kl), rec) as tf.Scalar;
        parts = tf.keep(tf.stack([total, kl, rec]));
        return total;
      },
      true,
      variables,
    ) as tf.Scalar;
    cost.dispose();
    const values = (parts as unknown as tf.Tensor).dataSync();
    return [values[0], values[1], values[2]];
  } finally {
    if (parts) (parts as tf.Tensor).dispose();
    x.dispose();
    p.dispose();
  }
}

function readCentroids(mu: tf.Variable): Float32Array {
  return Float32Array.from(mu.dataSync() as Float32Array);
}

function bytesOf(values: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(
    values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
  );
}

function floatsOf(bytes: Buffer): Float32Array {
  return new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

function intsOf(bytes: Buffer): Int32Array {
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** The final centroids of a finished fine-tuning run (k × codeSize), from clustering.json. */
export function loadDecCentroids(run: LoadedRun): {
  k: number;
  dim: number;
  centroids: Float32Array;
} {
  const file = path.join(run.folder, CLUSTERING_FILE);
  if (!fs.existsSync(file)) {
    throw new RunError(
      `Run "${run.record.name}" has no ${CLUSTERING_FILE}: it is not a finished DEC/IDEC fine-tuning run (see fineTuneClustering).`,
    );
  }
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as {
    k: number;
    dim: number;
    centroids: number[];
  };
  return { k: json.k, dim: json.dim, centroids: Float32Array.from(json.centroids) };
}

export interface EnsureDecRunOptions extends FineTuneOptions {
  /** Where parent and fine-tuned run live (default: the parent's runsDir, "runs"). */
  runsDir?: string;
}

/**
 * The finished fine-tuning run `name` from `parentName` with `overrides` of the dec section:
 * reused when complete with exactly that config from exactly this parent (PARENT_FILE: its
 * creation time and model hash), resumed when stopped, fine-tuned otherwise. A run of that name
 * with another config, or fine-tuned from a parent since retrained (or not recorded), is renamed
 * `<name>-<created stamp>` (never deleted) and a new one fine-tuned.
 */
export async function ensureDecRun(
  name: string,
  parentName: string,
  overrides: Partial<ExperimentConfig["dec"]> = {},
  options: EnsureDecRunOptions = {},
): Promise<{ run: LoadedRun; action: "reused" | "trained" | "resumed"; seconds: number }> {
  const started = performance.now();
  const runsDir = options.runsDir ?? "runs";
  const parent = loadRun(parentName, runsDir);
  const config = decRunConfig(parent, name, overrides, runsDir);
  const folder = runFolder(name, runsDir);
  let resume = false;
  if (fs.existsSync(path.join(folder, "run.json"))) {
    const existing = loadRun(folder);
    const finished = existing.record.status === "completed" && existing.metrics !== null;
    const recorded = recordedParent(existing);
    // A run killed before its parent was recorded has no checkpoint either: it starts afresh.
    const parentKnown = recorded !== null || (!finished && !hasCheckpoint(folder));
    const why =
      JSON.stringify(sortKeys(existing.config)) !== JSON.stringify(sortKeys(config))
        ? "another config"
        : !parentKnown || (recorded && !sameParent(recorded, parentIdentity(parent)))
          ? `another "${parentName}" (retrained since, or not recorded)`
          : null;
    if (why) {
      // Fine-tuned with other settings (e.g. RECOMMENDED_DEC changed) or from a parent that has
      // been retrained since: moved aside, never deleted.
      let aside = `${folder}-${existing.record.createdAt.replace(/[-:.TZ]/g, "").slice(0, 14)}`;
      for (let i = 2; fs.existsSync(aside); i++) aside = `${aside.replace(/~\d+$/, "")}~${i}`;
      fs.renameSync(folder, aside);
      options.log?.(`an older run fine-tuned from ${why} was moved to ${aside}`);
      return ensureDecRun(name, parentName, overrides, options);
    }
    if (finished) {
      return { run: existing, action: "reused", seconds: (performance.now() - started) / 1000 };
    }
    resume = true;
  }
  const result = await fineTuneClustering(config, { ...options, resume });
  if (result.stopReason === "interrupted") {
    throw new RunError(
      `Run "${name}" was interrupted; call again to resume it from its last checkpoint.`,
    );
  }
  return {
    run: loadRun(folder),
    action: resume ? "resumed" : "trained",
    seconds: (performance.now() - started) / 1000,
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, v]) => [key, sortKeys(v)]),
    );
  }
  return value;
}
