/**
 * Downstream probes: how useful are the codes for telling digits apart with few labels?
 *
 * Two classic read-outs, each trained on a labelled subset of the training split and scored on
 * the test set:
 * - k-NN classifier: majority vote of the k nearest labelled training points (Euclidean, on the
 *   features as they are — the geometry of the latent space is what is being judged);
 * - linear probe: multinomial logistic regression on standardised features (mean 0, variance 1
 *   from the labelled subset), L2-regularised like sklearn's LogisticRegression(C) — objective
 *   Σ cross-entropy + ‖W‖²/(2C), bias unpenalised — minimised full-batch with L-BFGS from zero
 *   weights. Deterministic: no randomness besides the seeded choice of the labelled subset.
 *
 * labelBudgetCurve runs both on several feature sets (codes, raw pixels, PCA of pixels…) for
 * label budgets of e.g. 100, 1,000 and 10,000 examples (stratified, seeded, nested: every smaller
 * subset is part of the larger one).
 *
 * The heavy products (distances, logits, gradients) run as tfjs matrix products on the active
 * backend, with the transposes made once up front: the wasm backend's transposed products are
 * ~10× slower than plain ones (FIELD-NOTES). That is why the two classifiers live here and not
 * in lib/ml, which holds their plain-array parts: the vote (lib/ml/knn.ts), L-BFGS
 * (lib/ml/lbfgs.ts) and the feature standardisation (lib/ml/standardize.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { AutoencoderLabError } from "../errors";
import { checkPoints, LatentInputError } from "../ml/check";
import { knnVote } from "../ml/knn";
import { lbfgs } from "../ml/lbfgs";
import { fitPca, pcaTransform } from "../ml/pca";
import { applyStandardizer, featureStandardizer } from "../ml/standardize";
import type { Figure } from "../plots/figure";
import { lineFigure } from "../plots/line";
import { THEME } from "../plots/theme";
import { createRng, deriveSeed, permutation } from "../random";
import { pickRows } from "../runs/code-sample";

/** A labelled set of points: n × dim row-major. */
export interface LabelledPoints {
  points: Float32Array;
  labels: ArrayLike<number>;
  n: number;
}

function checkLabelled(set: LabelledPoints, dim: number, what: string): void {
  checkPoints(set.points, set.n, dim, what);
  if (set.labels.length !== set.n) {
    throw new LatentInputError(
      `${what}: ${set.labels.length} labels for ${set.n} points: pass one label per point.`,
    );
  }
  for (let i = 0; i < set.n; i++) {
    const l = set.labels[i];
    if (!Number.isInteger(l) || l < 0) {
      throw new LatentInputError(`${what}: label ${i} is ${l}; labels must be integers ≥ 0.`);
    }
  }
}

function classCount(...labelSets: ArrayLike<number>[]): number {
  let max = 0;
  for (const labels of labelSets)
    for (let i = 0; i < labels.length; i++) max = Math.max(max, labels[i]);
  return max + 1;
}

/**
 * The values of the tensor `fn` builds, with every intermediate freed. tidy must return the
 * tensor, not its values: it walks whatever it returns looking for tensors, element by element.
 */
function valuesOf(fn: () => tf.Tensor): Float32Array | Int32Array {
  const result = tf.tidy(fn);
  try {
    return result.dataSync() as Float32Array | Int32Array;
  } finally {
    result.dispose();
  }
}

function accuracyOf(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}

// ---------------------------------------------------------------------------------------------
// k-NN classifier

/** Queries (test points) per distance block: block × nTrain floats (256 × 10,000 = 10 MB). */
const QUERY_BLOCK_VALUES = 2_600_000;

/**
 * The k nearest training points of every query (Euclidean), queries ≠ references.
 * lib/ml/neighbors.ts answers the self-neighbour question (each point among the others); a
 * classifier needs test → train neighbours, so this variant lives here, computed blockwise with
 * ‖r‖² − 2 q·r (‖q‖² is the same for a whole row, so it does not change the ranking). The dot
 * products are tfjs float32 matrix products on the active backend, not lib/ml/distances.ts's
 * float64 sums: the probe accuracies are defined by this arithmetic.
 * Returns nQuery × k indices into the training set, nearest first (ties: smaller index).
 */
export function nearestTrainNeighbors(
  train: Float32Array,
  nTrain: number,
  queries: Float32Array,
  nQuery: number,
  dim: number,
  k: number,
): Int32Array {
  checkPoints(train, nTrain, dim, "training points");
  checkPoints(queries, nQuery, dim, "query points");
  if (!Number.isInteger(k) || k < 1 || k > nTrain) {
    throw new LatentInputError(
      `k = ${k} neighbours is not possible with ${nTrain} training points: use an integer between 1 and ${nTrain}.`,
    );
  }
  const norms = new Float64Array(nTrain);
  for (let j = 0; j < nTrain; j++) {
    let s = 0;
    for (let t = 0; t < dim; t++) s += train[j * dim + t] ** 2;
    norms[j] = s;
  }
  const refT = tf.tidy(() => tf.tensor2d(train, [nTrain, dim]).transpose());
  const out = new Int32Array(nQuery * k);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  const block = Math.max(1, Math.floor(QUERY_BLOCK_VALUES / nTrain));
  try {
    for (let q0 = 0; q0 < nQuery; q0 += block) {
      const q1 = Math.min(nQuery, q0 + block);
      const dots = valuesOf(() =>
        tf.matMul(tf.tensor2d(queries.subarray(q0 * dim, q1 * dim), [q1 - q0, dim]), refT),
      );
      for (let q = q0; q < q1; q++) {
        bestD.fill(Infinity);
        bestI.fill(0x7fffffff);
        const row = (q - q0) * nTrain;
        for (let j = 0; j < nTrain; j++) {
          const d = norms[j] - 2 * dots[row + j];
          if (d >= bestD[k - 1]) continue; // equal: the earlier (smaller) index stays
          let p = k - 1;
          while (p > 0 && bestD[p - 1] > d) {
            bestD[p] = bestD[p - 1];
            bestI[p] = bestI[p - 1];
            p--;
          }
          bestD[p] = d;
          bestI[p] = j;
        }
        out.set(bestI, q * k);
      }
    }
  } finally {
    refT.dispose();
  }
  return out;
}

export interface KnnOptions {
  /** Neighbours that vote (default 5; typical 1-20). */
  k?: number;
}

/**
 * Predicted class of every test point by a k-NN vote among the training points. A tied vote
 * goes to the smallest tied label, as in sklearn's KNeighborsClassifier(weights="uniform").
 */
export function knnPredict(
  train: LabelledPoints,
  test: Float32Array,
  nTest: number,
  dim: number,
  options: KnnOptions = {},
): Int32Array {
  checkLabelled(train, dim, "training points");
  const k = Math.min(options.k ?? 5, train.n);
  const neighbors = nearestTrainNeighbors(train.points, train.n, test, nTest, dim, k);
  return knnVote(neighbors, k, train.labels, classCount(train.labels));
}

/** Test accuracy (0-1) of a k-NN classifier on the training points. */
export function knnClassifierAccuracy(
  train: LabelledPoints,
  test: LabelledPoints,
  dim: number,
  options: KnnOptions = {},
): number {
  checkLabelled(test, dim, "test points");
  return accuracyOf(knnPredict(train, test.points, test.n, dim, options), test.labels);
}

// ---------------------------------------------------------------------------------------------
// Linear probe

export interface LinearProbeOptions {
  /**
   * Inverse L2 strength, as sklearn's C (default 1): the objective is Σ_i cross-entropy_i +
   * ‖W‖² / (2C). Smaller C = stronger regularisation (useful with few labels, many features).
   */
  c?: number;
  /** L-BFGS iterations at most (default 300). */
  maxIterations?: number;
  /**
   * Stop when the largest gradient entry of the mean objective falls below this (default 1e-4,
   * sklearn's `tol` for lbfgs on the same per-example objective).
   */
  tolerance?: number;
  /** Standardise features with the training mean and variance first (default true). */
  standardize?: boolean;
}

/** A fitted multinomial logistic regression. */
export interface LinearProbe {
  /** dim × classes weights (applied to standardised features when `mean`/`scale` are set). */
  weights: Float32Array;
  bias: Float32Array;
  classes: number;
  dim: number;
  mean: Float32Array | null;
  scale: Float32Array | null;
  iterations: number;
  /** Final mean objective (cross-entropy + penalty, per training example). */
  loss: number;
  converged: boolean;
}

/** Fit a multinomial logistic regression (a linear probe) on labelled points. */
export function fitLinearProbe(
  train: LabelledPoints,
  dim: number,
  options: LinearProbeOptions = {},
): LinearProbe {
  checkLabelled(train, dim, "training points");
  const c = options.c ?? 1;
  if (!(c > 0)) throw new LatentInputError(`Linear probe: c = ${c} must be > 0 (sklearn's C).`);
  const classes = classCount(train.labels);
  const n = train.n;
  const { mean, scale } =
    options.standardize === false
      ? { mean: null, scale: null }
      : featureStandardizer(train.points, n, dim);
  const features = applyStandardizer(train.points, n, dim, mean, scale);
  const oneHot = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) oneHot[i * classes + train.labels[i]] = 1;
  const penalty = 1 / (c * n); // per-example form of ‖W‖²/(2C)
  const weightCount = dim * classes;

  const [x, xT, y] = tf.tidy(() => {
    const xs = tf.tensor2d(features, [n, dim]);
    return [xs, xs.transpose(), tf.tensor2d(oneHot, [n, classes])];
  });
  const theta = new Float64Array(weightCount + classes);
  try {
    const evaluate = (params: Float64Array, gradient: Float64Array): number => {
      // One tensor out of tidy: [cross-entropy, gradient of W (dim × classes), of b (classes)].
      const packed = valuesOf(() => {
        const w = tf.tensor2d(Float32Array.from(params.subarray(0, weightCount)), [dim, classes]);
        const b = tf.tensor1d(Float32Array.from(params.subarray(weightCount)));
        const logProbs = tf.logSoftmax(tf.add(tf.matMul(x, w), b));
        const crossEntropy = tf.neg(tf.sum(tf.mul(y, logProbs))).div(n);
        const residual = tf.sub(tf.exp(logProbs), y).div(n);
        return tf.concat([
          crossEntropy.reshape([1]),
          tf.matMul(xT, residual).reshape([-1]),
          tf.sum(residual, 0),
        ]);
      });
      const loss = packed[0];
      const gW = packed.subarray(1, 1 + weightCount);
      const gb = packed.subarray(1 + weightCount);
      let squared = 0;
      for (let i = 0; i < weightCount; i++) {
        squared += params[i] * params[i];
        gradient[i] = gW[i] + penalty * params[i];
      }
      for (let j = 0; j < classes; j++) gradient[weightCount + j] = gb[j];
      return loss + 0.5 * penalty * squared;
    };
    const result = lbfgs(evaluate, theta, {
      maxIterations: options.maxIterations ?? 300,
      tolerance: options.tolerance ?? 1e-4,
    });
    return {
      weights: Float32Array.from(theta.subarray(0, weightCount)),
      bias: Float32Array.from(theta.subarray(weightCount)),
      classes,
      dim,
      mean,
      scale,
      iterations: result.iterations,
      loss: result.value,
      converged: result.converged,
    };
  } finally {
    tf.dispose([x, xT, y]);
  }
}

/** Predicted class of every point (n × probe.dim) by a fitted linear probe. */
export function linearProbePredict(
  probe: LinearProbe,
  points: Float32Array,
  n: number,
): Int32Array {
  checkPoints(points, n, probe.dim, "points");
  const features = applyStandardizer(points, n, probe.dim, probe.mean, probe.scale);
  return Int32Array.from(
    valuesOf(() => {
      const logits = tf.add(
        tf.matMul(
          tf.tensor2d(features, [n, probe.dim]),
          tf.tensor2d(probe.weights, [probe.dim, probe.classes]),
        ),
        tf.tensor1d(probe.bias),
      );
      return tf.argMax(logits, 1);
    }),
  );
}

/** Test accuracy (0-1) of a linear probe fitted on the training points. */
export function linearProbeAccuracy(
  train: LabelledPoints,
  test: LabelledPoints,
  dim: number,
  options: LinearProbeOptions = {},
): number {
  checkLabelled(test, dim, "test points");
  const probe = fitLinearProbe(train, dim, options);
  return accuracyOf(linearProbePredict(probe, test.points, test.n), test.labels);
}

// ---------------------------------------------------------------------------------------------
// Label budgets

/**
 * Nested stratified subsets of a labelled pool: for each budget, that many indices with every
 * class in proportion to its share of the pool (largest remainders), chosen by one seeded
 * shuffle per class, so a smaller budget's subset is contained in a larger one's. A budget at or
 * above the pool size is the whole pool. Indices come back sorted.
 */
export function stratifiedSubsets(
  labels: ArrayLike<number>,
  budgets: readonly number[],
  seed: number,
): Int32Array[] {
  const n = labels.length;
  const classes = classCount(labels);
  const members: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < n; i++) members[labels[i]].push(i);
  const shuffled = members.map((list, c) => {
    const order = permutation(list.length, createRng(deriveSeed(seed, c)));
    return Array.from(order, (o) => list[o]);
  });
  return budgets.map((budget) => {
    if (!Number.isInteger(budget) || budget < 1) {
      throw new LatentInputError(`Label budget ${budget} must be a positive integer.`);
    }
    const take = Math.min(budget, n);
    const exact = members.map((list) => (list.length * take) / n);
    const counts = exact.map(Math.floor);
    let missing = take - counts.reduce((a, b) => a + b, 0);
    const byRemainder = exact
      .map((e, c) => ({ c, r: e - Math.floor(e) }))
      .sort((a, b) => b.r - a.r || a.c - b.c);
    for (const { c } of byRemainder) {
      if (missing === 0) break;
      if (counts[c] < members[c].length) {
        counts[c]++;
        missing--;
      }
    }
    const chosen: number[] = [];
    counts.forEach((count, c) => chosen.push(...shuffled[c].slice(0, count)));
    return Int32Array.from(chosen).sort();
  });
}

/** One representation of the data to probe: training pool and test points, same dim. */
export interface FeatureSet {
  /** Name in tables and legends, e.g. "codes", "pixels", "PCA-64 of pixels". */
  name: string;
  /** Training pool (nTrain × dim); the labelled subsets are drawn from it. */
  train: Float32Array;
  /** Test points (nTest × dim). */
  test: Float32Array;
  dim: number;
}

export interface LabelBudgetOptions {
  /** Labelled training examples per point of the curve (default 100, 1,000, 10,000). */
  budgets?: readonly number[];
  /** Seed of the stratified subsets. */
  seed: number;
  /** k of the k-NN classifier (default 5). */
  k?: number;
  /** Linear-probe options (C, iterations). */
  linear?: LinearProbeOptions;
  /** Called after each (features, budget) pair, e.g. to print progress. */
  onProgress?: (row: ProbeRow) => void;
}

/** Accuracy of both probes for one feature set and label budget. */
export interface ProbeRow {
  features: string;
  /** Labelled training examples actually used (a budget above the pool size uses the pool). */
  labelled: number;
  knnAccuracy: number;
  linearAccuracy: number;
  /** Whether L-BFGS converged (false: stopped at maxIterations). */
  linearConverged: boolean;
  seconds: number;
}

/**
 * k-NN and linear-probe test accuracy of each feature set for each label budget. Every feature
 * set uses the same labelled subsets (same rows, by index into the pool). Budgets above the pool
 * size collapse into one point using the whole pool.
 */
export function labelBudgetCurve(
  featureSets: readonly FeatureSet[],
  trainLabels: ArrayLike<number>,
  testLabels: ArrayLike<number>,
  options: LabelBudgetOptions,
): ProbeRow[] {
  const nTrain = trainLabels.length;
  const nTest = testLabels.length;
  if (featureSets.length === 0) {
    throw new LatentInputError("labelBudgetCurve: pass at least one feature set.");
  }
  for (const f of featureSets) {
    checkPoints(f.train, nTrain, f.dim, `${f.name} training pool`);
    checkPoints(f.test, nTest, f.dim, `${f.name} test points`);
  }
  const budgets = [
    ...new Set((options.budgets ?? [100, 1000, 10000]).map((b) => Math.min(b, nTrain))),
  ];
  budgets.sort((a, b) => a - b);
  const subsets = stratifiedSubsets(trainLabels, budgets, options.seed);
  const rows: ProbeRow[] = [];
  for (const f of featureSets) {
    const test: LabelledPoints = { points: f.test, labels: testLabels, n: nTest };
    subsets.forEach((subset) => {
      const started = performance.now();
      const train: LabelledPoints = {
        points: pickRows(f.train, f.dim, subset),
        labels: Uint8Array.from(subset, (i) => trainLabels[i]),
        n: subset.length,
      };
      const knn = knnClassifierAccuracy(train, test, f.dim, { k: options.k });
      const probe = fitLinearProbe(train, f.dim, options.linear);
      const linear = accuracyOf(linearProbePredict(probe, f.test, nTest), testLabels);
      const row: ProbeRow = {
        features: f.name,
        labelled: subset.length,
        knnAccuracy: knn,
        linearAccuracy: linear,
        linearConverged: probe.converged,
        seconds: (performance.now() - started) / 1000,
      };
      rows.push(row);
      options.onProgress?.(row);
    });
  }
  return rows;
}

/** Rows for showTable: one per feature set and budget, accuracies in percent. */
export function probeTable(rows: readonly ProbeRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    features: r.features,
    "labelled examples": r.labelled,
    "k-NN accuracy %": Number((100 * r.knnAccuracy).toFixed(2)),
    "linear probe accuracy %": Number((100 * r.linearAccuracy).toFixed(2)),
    converged: r.linearConverged ? "yes" : "no (max iterations)",
    seconds: Number(r.seconds.toFixed(2)),
  }));
}

/** Test accuracy against the number of labelled examples: one line per feature set and probe. */
export function labelBudgetFigure(
  rows: readonly ProbeRow[],
  options: { title?: string } = {},
): Figure {
  const names = [...new Set(rows.map((r) => r.features))];
  // One colour per feature set; linear probe solid, k-NN dashed.
  const series = names.flatMap((name, i) => {
    const mine = rows.filter((r) => r.features === name).sort((a, b) => a.labelled - b.labelled);
    const x = mine.map((r) => r.labelled);
    const color = THEME.colorway[i % THEME.colorway.length];
    return [
      { name: `${name}, linear probe`, x, y: mine.map((r) => 100 * r.linearAccuracy), color },
      { name: `${name}, k-NN`, x, y: mine.map((r) => 100 * r.knnAccuracy), color, dash: "dash" },
    ];
  });
  const figure = lineFigure(series, {
    xTitle: "labelled training examples",
    yTitle: "test accuracy (%)",
    logX: true,
    title: options.title ?? "Test accuracy vs number of labels",
  });
  // Two entries per feature set do not fit in the one-line legend above the plot: put it below.
  figure.layout.legend = { orientation: "h", x: 0, xanchor: "left", y: -0.2, yanchor: "top" };
  return figure;
}

// ---------------------------------------------------------------------------------------------
// Feature sets for the standard comparison

export interface StandardFeatureInput {
  trainCodes: Float32Array;
  testCodes: Float32Array;
  codeDim: number;
  /** Training pool images (nTrain × pixels) and test images, in [0, 1]. */
  trainImages: Float32Array;
  testImages: Float32Array;
  pixels: number;
}

export interface StandardFeatureOptions {
  /** PCA components of the pixel baseline (default 64, the code size of the default model). */
  pcaComponents?: number;
  /** Training images the PCA is fitted on (a seeded sample; default 10,000). Unlabelled. */
  pcaFitCount?: number;
  seed: number;
}

/**
 * The three representations compared downstream: the codes, the raw pixels, and a PCA of the
 * pixels with as many components as the code (a linear "autoencoder" of the same size). The PCA
 * is fitted on training images only, without labels, like the autoencoder itself.
 */
export function standardFeatureSets(
  input: StandardFeatureInput,
  options: StandardFeatureOptions,
): FeatureSet[] {
  const nTrain = input.trainCodes.length / input.codeDim;
  const nTest = input.testCodes.length / input.codeDim;
  if (
    input.trainImages.length !== nTrain * input.pixels ||
    input.testImages.length !== nTest * input.pixels
  ) {
    throw new AutoencoderLabError(
      `standardFeatureSets: ${nTrain} training and ${nTest} test codes but ${input.trainImages.length / input.pixels} and ` +
        `${input.testImages.length / input.pixels} images: pass the images of the same splits, in the same order.`,
    );
  }
  const components = Math.min(options.pcaComponents ?? 64, input.pixels);
  const fitCount = Math.min(nTrain, options.pcaFitCount ?? 10000);
  const fitRows =
    fitCount === nTrain
      ? input.trainImages
      : pickRows(
          input.trainImages,
          input.pixels,
          permutation(nTrain, createRng(options.seed)).subarray(0, fitCount),
        );
  const pca = fitPca(fitRows, fitCount, input.pixels, { components });
  return [
    { name: "codes", train: input.trainCodes, test: input.testCodes, dim: input.codeDim },
    { name: "pixels", train: input.trainImages, test: input.testImages, dim: input.pixels },
    {
      name: `PCA-${components} of pixels`,
      train: pcaTransform(pca, input.trainImages, nTrain),
      test: pcaTransform(pca, input.testImages, nTest),
      dim: components,
    },
  ];
}
