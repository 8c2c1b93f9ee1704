/**
 * A live model panel for a notebook: `await ae.showLivePanel(model, data, options)` puts the run's
 * encoder and decoder, a sample of test digits, the principal directions of the codes, the
 * notebook's 2-D map and the anomaly threshold into one HTML output. In the exported page
 * (scripts/nbexport.py inlines tfjs's browser bundles and lib/live/page.ts once per page) it becomes a panel
 * where a reader draws a digit and watches the autoencoder answer. JupyterLab, which blocks
 * scripts in untrusted outputs and has no tfjs in the page, shows the output's note instead.
 */
import type { ImageSet, ImageShape } from "../data/types";
import { AutoencoderLabError } from "../errors";
import type { Autoencoder } from "../model/autoencoder";
import { captureModel } from "../runs/model-files";
import { encodeSet, reconstructSet } from "../model/inference";
import { fitPca } from "../ml/pca";
import { createRng, permutation } from "../random";
import { INK_THRESHOLD, reconstructionScores } from "../apps/anomaly";
import { thresholdFromNegatives } from "../apps/roc";
import { BCE_EPSILON } from "../quality/metrics";
import { THEME } from "../plots/theme";
import { showHtml, type DisplaySink } from "../notebook/display";
import type { LiveFocus, LiveModel, LivePanelPayload, LiveScoreName } from "./types";

/** Defaults of the panel (notebook 08's rule for the threshold: 5% false positives on validation). */
export const LIVE_PANEL_DEFAULTS = {
  /** Test images embedded (picking, neighbours, the map's examples): ≈ 1.1 KB each in the page. */
  examples: 400,
  neighbors: 5,
  /** Principal directions with a slider. */
  sliders: 4,
  sliderSigmas: 3,
  /** Notebook 08's `targetFpr`: the threshold lets 5% of normal validation digits through. */
  targetFpr: 0.05,
  /** MSE over ink pixels: notebook 08's least ink-biased reconstruction score. */
  score: "unionMse" as LiveScoreName,
  seed: 16,
};

/** The panel cannot be built from these inputs (the message says why). */
export class LivePanelError extends AutoencoderLabError {}

/** The threshold the panel flags with, and where it comes from. */
export interface LiveThreshold {
  score: LiveScoreName;
  threshold: number;
  source: string;
}

/**
 * Notebook 08's threshold: the `score` that at most `targetFpr` of the normal validation images
 * reach (thresholdFromNegatives), from their scores (createAnomalyScorer(...).score(validation),
 * or reconstructionScores).
 */
export function liveThreshold(
  validationScores: Partial<Record<LiveScoreName, Float32Array>>,
  score: LiveScoreName = LIVE_PANEL_DEFAULTS.score,
  targetFpr: number = LIVE_PANEL_DEFAULTS.targetFpr,
): LiveThreshold {
  const values = validationScores[score];
  if (!values || values.length === 0) {
    throw new LivePanelError(`liveThreshold: no validation scores named "${score}".`);
  }
  const choice = thresholdFromNegatives(values, targetFpr);
  return {
    score,
    threshold: choice.threshold,
    source: `notebook 08's rule, ${(100 * targetFpr).toFixed(0)}% false positives on ${values.length} validation digits (reached ${(100 * choice.fpr).toFixed(1)}%)`,
  };
}

/** A 2-D map of some test images (t-SNE, UMAP …): `xy` is n × 2, row i for test image indices[i]. */
export interface LiveMapInput {
  name: string;
  xy: Float32Array;
  indices: ArrayLike<number>;
}

export interface LivePanelOptions {
  title?: string;
  /** The section the notebook is about (shown first). Default "reconstruct". */
  focus?: LiveFocus;
  /** The notebook's map; default: the first two principal axes of the codes ("PCA"). */
  map?: LiveMapInput;
  /** The flagging threshold; default: liveThreshold on `data.validation`. */
  threshold?: LiveThreshold;
  examples?: number;
  neighbors?: number;
  sliders?: number;
  sliderSigmas?: number;
  seed?: number;
}

/** What the panel needs of a dataset (a PreparedDataset fits). */
export interface LivePanelData {
  test: ImageSet;
  validation?: ImageSet;
  shape: ImageShape;
  classNames: string[];
}

function base64(values: ArrayBufferView): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
}

async function liveModel(model: Autoencoder["encoder"]): Promise<LiveModel> {
  const captured = await captureModel(model);
  return {
    topology: captured.topology,
    weightSpecs: captured.specs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype })),
    weights: base64(captured.weights),
  };
}

/** Build everything the page needs (encodes the test set once; a few seconds for 10,000 images). */
export async function livePanelPayload(
  model: Autoencoder,
  data: LivePanelData,
  options: LivePanelOptions = {},
): Promise<LivePanelPayload> {
  const { shape, test, classNames } = data;
  if (shape.channels !== 1 || shape.height !== shape.width) {
    throw new LivePanelError(
      `The live panel draws square grayscale digits; this dataset's images are ${shape.height}×${shape.width}×${shape.channels}.`,
    );
  }
  const side = shape.height;
  const pixels = side * side;
  const defaults = LIVE_PANEL_DEFAULTS;
  const seed = options.seed ?? defaults.seed;
  let threshold = options.threshold;
  if (!threshold) {
    if (!data.validation) {
      throw new LivePanelError(
        "showLivePanel needs a threshold: pass a dataset with its validation split (prepareDataset) or options.threshold (liveThreshold).",
      );
    }
    const recon = reconstructSet(model, data.validation, pixels);
    threshold = liveThreshold(reconstructionScores(data.validation.images, recon, pixels));
  }
  const codes = encodeSet(model, test, pixels);
  const dim = codes.length / test.count;
  const slidersCount = Math.min(dim, Math.max(2, options.sliders ?? defaults.sliders));
  const pca = fitPca(codes, test.count, dim, { components: slidersCount });

  // Examples: the map's points (when given) or the test set, a seeded sample in index order.
  const pool = options.map ? Array.from(options.map.indices) : null;
  const poolSize = pool ? pool.length : test.count;
  const take = Math.min(poolSize, options.examples ?? defaults.examples);
  const rows = Array.from(permutation(poolSize, createRng(seed)).subarray(0, take)).sort(
    (a, b) => a - b,
  );
  const indices = rows.map((r) => (pool ? pool[r] : r));
  const images = new Uint8Array(take * pixels);
  const exCodes = new Float32Array(take * dim);
  indices.forEach((row, i) => {
    for (let p = 0; p < pixels; p++)
      images[i * pixels + p] = Math.round(test.images[row * pixels + p] * 255);
    exCodes.set(codes.subarray(row * dim, (row + 1) * dim), i * dim);
  });
  const labels = Uint8Array.from(indices, (row) => test.labels[row]);

  let map: LivePanelPayload["map"] = { kind: "pca", name: "PCA" };
  if (options.map) {
    const m = options.map;
    if (m.xy.length !== 2 * m.indices.length) {
      throw new LivePanelError(
        `options.map: ${m.xy.length} coordinates for ${m.indices.length} points (need 2 per point).`,
      );
    }
    const exXY = new Float32Array(2 * take);
    rows.forEach((r, i) => exXY.set(m.xy.subarray(2 * r, 2 * r + 2), 2 * i));
    map = {
      kind: "points",
      name: m.name,
      examples: base64(exXY),
      background: base64(Float32Array.from(m.xy)),
      backgroundLabels: base64(Uint8Array.from(Array.from(m.indices), (row) => test.labels[row])),
    };
  }
  const focus = options.focus ?? "reconstruct";
  return {
    version: 1,
    title: options.title ?? "Live model: draw a digit",
    focus,
    side,
    codeSize: dim,
    classNames: [...classNames],
    colors: [...THEME.colorway],
    encoder: await liveModel(model.encoder),
    decoder: await liveModel(model.decoder),
    examples: {
      count: take,
      indices,
      images: base64(images),
      labels: base64(labels),
      codes: base64(exCodes),
    },
    pca: {
      mean: base64(Float32Array.from(pca.mean)),
      components: base64(Float32Array.from(pca.components)),
      count: pca.count,
      sd: Array.from(pca.explainedVariance, (v) => Math.sqrt(v)),
    },
    map,
    anomaly: { ...threshold, inkThreshold: INK_THRESHOLD },
    bceEpsilon: BCE_EPSILON,
    neighbors: options.neighbors ?? defaults.neighbors,
    sliderSigmas: options.sliderSigmas ?? defaults.sliderSigmas,
    seed,
  };
}

/** The note shown where the panel cannot run (JupyterLab; scripts blocked). */
export const LIVE_PANEL_NOTE =
  "Live model panel: draw a digit and watch this run's autoencoder answer. It runs in the exported " +
  "HTML page of this notebook (npm run export), which embeds the model and TensorFlow.js. Here only " +
  "this note shows: JupyterLab blocks scripts in the outputs of untrusted notebooks, and the model " +
  "runtime is embedded by the exporter.";

/** JSON safe inside <script>: <, >, & and the JS line separators escaped. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** The output's HTML: the note, and the payload as JSON for the page code. */
export function livePanelHtml(payload: LivePanelPayload): string {
  return (
    `<div class="ae-live-panel" data-focus="${payload.focus}">\n` +
    `<div class="ae-live-note" style="border:1px dashed #888;padding:8px 10px;color:#444">${LIVE_PANEL_NOTE}</div>\n` +
    `<script type="application/json" class="ae-live-data">${scriptSafeJson(payload)}</script>\n` +
    `</div>`
  );
}

/** Show the live panel in the current notebook cell (one HTML output; resolves to nothing, so a cell ending with it prints nothing more). */
export async function showLivePanel(
  model: Autoencoder,
  data: LivePanelData,
  options: LivePanelOptions = {},
  sink?: DisplaySink,
): Promise<void> {
  showHtml(livePanelHtml(await livePanelPayload(model, data, options)), sink);
}
