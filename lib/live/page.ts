/**
 * The live panel's page code: runs in the exported HTML page, next to tfjs's browser bundles
 * (core, cpu backend and layers: the `tf` global). scripts/nbexport.py inlines the compiled file (dist/lib/live/
 * page.js) once per page and calls `mountLivePanels(tf, document)`, which turns every
 * `.ae-live-panel` element (written by lib/live/panel.ts) into the panel. Plain DOM, no framework.
 *
 * This file must stay self-contained: only `import type` (erased at compile time), since the page
 * has no module loader. The pure parts (preprocessing, scores) are exported for the unit tests.
 */
import type * as TF from "@tensorflow/tfjs";
import type { LiveModel, LivePanelPayload, LiveScoreName } from "./types";

// The little of the DOM used here (the project's tsconfig has no DOM lib).
interface LiveElement {
  className: string;
  textContent: string | null;
  title: string;
  style: { cssText: string; display: string };
  dataset: Record<string, string | undefined>;
  appendChild<T extends LiveElement>(child: T): T;
  append(...nodes: (LiveElement | string)[]): void;
  replaceChildren(...nodes: (LiveElement | string)[]): void;
  querySelector(selector: string): LiveElement | null;
  addEventListener(type: string, listener: (event: LivePointerEvent) => void): void;
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
  setPointerCapture?(pointerId: number): void;
  /** The panel's state, for readers and tests (set on the panel's root element). */
  aeLive?: LivePanelState;
}
interface LiveCanvas extends LiveElement {
  width: number;
  height: number;
  getContext(kind: "2d", options?: object): LiveContext2D | null;
}
interface LiveInput extends LiveElement {
  type: string;
  min: string;
  max: string;
  step: string;
  value: string;
}
interface LiveImageData {
  data: Uint8ClampedArray;
}
interface LiveContext2D {
  fillStyle: string;
  strokeStyle: string;
  lineWidth: number;
  lineCap: string;
  lineJoin: string;
  globalAlpha: number;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  arc(x: number, y: number, r: number, start: number, end: number): void;
  stroke(): void;
  fill(): void;
  getImageData(x: number, y: number, w: number, h: number): LiveImageData;
  createImageData(w: number, h: number): LiveImageData;
  putImageData(data: LiveImageData, x: number, y: number): void;
}
interface LivePointerEvent {
  clientX: number;
  clientY: number;
  pointerId: number;
  preventDefault(): void;
}
export interface LiveDocument {
  createElement(tag: "canvas"): LiveCanvas;
  createElement(tag: "input"): LiveInput;
  createElement(tag: string): LiveElement;
  querySelectorAll(selector: string): ArrayLike<LiveElement>;
}

/** What the panel shows now; `root.aeLive` holds it (tests compare it with Node). */
export interface LivePanelState {
  backend: string;
  /** "drawing" or "test #i" */
  source: string;
  /** Input updates so far (each stroke point, pick or clear). */
  updates: number;
  input: Float32Array;
  code: Float32Array;
  reconstruction: Float32Array;
  bce: number;
  /** The anomaly score's name, value, threshold and verdict (score ≥ threshold). */
  scoreName: LiveScoreName;
  score: number;
  threshold: number;
  flagged: boolean;
  mapPoint: [number, number];
  neighbors: number[];
  sliders: number[];
  sliderImage: Float32Array;
}

// ---------------------------------------------------------------------------------------------
// Pure parts

/** Side of the box a digit is fitted into, inside the side × side image (MNIST: 20 in 28). */
export const DIGIT_BOX = 20;

/** Area-average resampling weights: out[u] = Σ_j w[u][j]·src[j] for `n` outputs over `len` inputs. */
function areaWeights(len: number, n: number, start: number, scale: number, offset: number) {
  // Output cell u covers the source interval [start + (u − offset)/scale, start + (u + 1 − offset)/scale).
  const rows: { from: number; weights: number[] }[] = [];
  for (let u = 0; u < n; u++) {
    const a = start + (u - offset) / scale;
    const b = start + (u + 1 - offset) / scale;
    const from = Math.max(0, Math.floor(a));
    const to = Math.min(len, Math.ceil(b));
    const weights: number[] = [];
    for (let j = from; j < to; j++) {
      const overlap = Math.min(b, j + 1) - Math.max(a, j);
      weights.push(overlap > 0 ? overlap * scale : 0);
    }
    rows.push({ from, weights });
  }
  return rows;
}

/**
 * MNIST's own recipe for a drawing: `ink` (width × height, values in [0, 1], row-major) is cut to
 * its bounding box, fitted into a 20 × 20 box keeping its aspect ratio (area-averaged, so edges
 * get grey levels), then placed in a side × side image so that its centre of mass falls on the
 * centre (an integer shift, as LeCun et al. did). No ink gives an empty image.
 */
export function mnistPreprocess(
  ink: Float32Array,
  width: number,
  height: number,
  side = 28,
  box = DIGIT_BOX,
): Float32Array {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  const out = new Float32Array(side * side);
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = box / Math.max(bw, bh);
  // The shorter side is centred inside the box.
  const cols = areaWeights(width, box, x0, scale, (box - bw * scale) / 2);
  const rows = areaWeights(height, box, y0, scale, (box - bh * scale) / 2);
  // Horizontal pass: height × box, then vertical: box × box.
  const tmp = new Float64Array(height * box);
  for (let y = y0; y <= y1; y++) {
    for (let u = 0; u < box; u++) {
      const { from, weights } = cols[u];
      let s = 0;
      for (let k = 0; k < weights.length; k++) s += weights[k] * ink[y * width + from + k];
      tmp[y * box + u] = s;
    }
  }
  const fitted = new Float64Array(box * box);
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let v = 0; v < box; v++) {
    const { from, weights } = rows[v];
    for (let u = 0; u < box; u++) {
      let s = 0;
      for (let k = 0; k < weights.length; k++) s += weights[k] * tmp[(from + k) * box + u];
      const value = Math.min(1, Math.max(0, s));
      fitted[v * box + u] = value;
      mass += value;
      mx += value * u;
      my += value * v;
    }
  }
  if (mass === 0) return out;
  // Centre of mass at the image centre ((side − 1) / 2 in pixel-index coordinates).
  const centre = (side - 1) / 2;
  const dx = Math.round(centre - mx / mass);
  const dy = Math.round(centre - my / mass);
  for (let v = 0; v < box; v++) {
    const y = v + dy;
    if (y < 0 || y >= side) continue;
    for (let u = 0; u < box; u++) {
      const x = u + dx;
      if (x >= 0 && x < side) out[y * side + x] = fitted[v * box + u];
    }
  }
  return out;
}

/** Mean BCE of one image, probabilities clipped to [eps, 1 − eps] (lib/quality/metrics' bceTerm). */
export function imageBce(x: ArrayLike<number>, p: ArrayLike<number>, eps: number): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const q = p[i] < eps ? eps : p[i] > 1 - eps ? 1 - eps : p[i];
    if (x[i] === 0) sum += -Math.log(1 - q);
    else if (x[i] === 1) sum += -Math.log(q);
    else sum += -(x[i] * Math.log(q) + (1 - x[i]) * Math.log(1 - q));
  }
  return sum / x.length;
}

/** One image's anomaly score, as lib/apps/anomaly.ts reconstructionScores computes it. */
export function imageScore(
  x: ArrayLike<number>,
  p: ArrayLike<number>,
  score: LiveScoreName,
  inkThreshold: number,
  eps: number,
): number {
  if (score === "bce") return imageBce(x, p, eps);
  let sq = 0;
  let sqInk = 0;
  let ink = 0;
  let energy = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - p[i];
    sq += d * d;
    energy += x[i] * x[i] + p[i] * p[i];
    if (x[i] > inkThreshold || p[i] > inkThreshold) {
      sqInk += d * d;
      ink++;
    }
  }
  if (score === "mse") return sq / x.length;
  if (score === "unionMse") return ink > 0 ? sqInk / ink : 0;
  return energy > 0 ? sq / energy : 0;
}

/**
 * Where a new point goes on a map with no formula for it (t-SNE, UMAP): the mean map position of
 * its nearest neighbours (in code space) that lie together, i.e. within 10% of the map's span of
 * their medoid. Neighbours split between clusters then place it in the cluster holding most of
 * them, not in the empty space between.
 */
export function placeAmongNeighbors(positions: [number, number][], span: number): [number, number] {
  if (positions.length === 0) return [0, 0];
  const dist = (a: [number, number], b: [number, number]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  let medoid = positions[0];
  let best = Infinity;
  for (const p of positions) {
    const total = positions.reduce((sum, q) => sum + dist(p, q), 0);
    if (total < best) [best, medoid] = [total, p];
  }
  const close = positions.filter((p) => dist(p, medoid) <= 0.1 * span);
  return [
    close.reduce((sum, p) => sum + p[0], 0) / close.length,
    close.reduce((sum, p) => sum + p[1], 0) / close.length,
  ];
}

/** Little-endian bytes from base64 (atob exists in browsers and in Node ≥ 16). */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function float32FromBase64(text: string): Float32Array {
  return new Float32Array(fromBase64(text).buffer);
}

// ---------------------------------------------------------------------------------------------
// The panel

type Tf = typeof TF;

const CSS = `
.ae-live{font:13px/1.4 Inter,'Helvetica Neue',Arial,sans-serif;color:#222;border:1px solid #ccc;border-radius:6px;padding:10px 12px;margin:6px 0;max-width:980px;background:#fff}
.ae-live h4{margin:0 0 6px;font-size:15px}
.ae-live .ae-sections{display:flex;flex-wrap:wrap;column-gap:28px}
.ae-live section{margin:10px 0 0;padding-top:8px;border-top:1px solid #eee;flex:1 1 420px}
.ae-live section.ae-live-focus{border-top:2px solid #4e79a7}
.ae-live section.ae-live-reconstruct{flex-basis:100%}
.ae-live .ae-row{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.ae-live figure{margin:0;text-align:center}
.ae-live figcaption{font-size:12px;color:#555}
.ae-live canvas.ae-img{width:112px;height:112px;image-rendering:pixelated;border:1px solid #ddd}
.ae-live canvas.ae-draw{width:196px;height:196px;border:1px solid #888;background:#000;touch-action:none;cursor:crosshair}
.ae-live canvas.ae-thumb{width:42px;height:42px;image-rendering:pixelated;cursor:pointer;border:1px solid #ddd}
.ae-live .ae-stats{min-width:220px}
.ae-live .ae-flag{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600}
.ae-live .ae-flag.on{background:#e15759}.ae-live .ae-flag.off{background:#59a14f}
.ae-live button{font:inherit;margin:4px 4px 0 0}
.ae-live label.ae-slider{display:flex;gap:8px;align-items:center;font-size:12px}
.ae-live .ae-muted{color:#666;font-size:12px}
`;

function el(doc: LiveDocument, tag: string, className = "", text = ""): LiveElement {
  const e = doc.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

function imageCanvas(doc: LiveDocument, side: number, className = "ae-img"): LiveCanvas {
  const c = doc.createElement("canvas");
  c.width = side;
  c.height = side;
  c.className = className;
  return c;
}

/** Gray image (0 black … 1 white) or, with `heat`, |error| in red on black. */
function paint(canvas: LiveCanvas, values: ArrayLike<number>, heat = false): void {
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, values[i])));
    img.data[4 * i] = v;
    img.data[4 * i + 1] = heat ? Math.round(v * 0.35) : v;
    img.data[4 * i + 2] = heat ? 0 : v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function figure(doc: LiveDocument, content: LiveElement, caption: string): LiveElement {
  const f = el(doc, "figure");
  f.append(content, el(doc, "figcaption", "", caption));
  return f;
}

async function loadModel(tf: Tf, model: LiveModel): Promise<TF.LayersModel> {
  const weightData = fromBase64(model.weights).buffer as ArrayBuffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.topology,
      weightSpecs: model.weightSpecs as TF.io.WeightsManifestEntry[],
      weightData,
    }),
  );
}

const DRAW_SIZE = 280;
const STROKE_WIDTH = 22;

/** Turn one `.ae-live-panel` element into the panel. */
export async function mountLivePanel(
  tf: Tf,
  doc: LiveDocument,
  root: LiveElement,
  payload: LivePanelPayload,
): Promise<LivePanelState> {
  const side = payload.side;
  const pixels = side * side;
  const dim = payload.codeSize;
  const [encoder, decoder] = await Promise.all([
    loadModel(tf, payload.encoder),
    loadModel(tf, payload.decoder),
  ]);
  const ex = payload.examples;
  const exImages = fromBase64(ex.images);
  const exLabels = fromBase64(ex.labels);
  const exCodes = float32FromBase64(ex.codes);
  const pcaMean = float32FromBase64(payload.pca.mean);
  const pcaComponents = float32FromBase64(payload.pca.components);
  const exampleImage = (i: number) =>
    Float32Array.from(exImages.subarray(i * pixels, (i + 1) * pixels), (v) => v / 255);
  const project = (code: ArrayLike<number>): [number, number] => {
    const out: [number, number] = [0, 0];
    for (let r = 0; r < 2; r++) {
      let s = 0;
      for (let t = 0; t < dim; t++) s += (code[t] - pcaMean[t]) * pcaComponents[r * dim + t];
      out[r] = s;
    }
    return out;
  };
  // The map: examples' positions and the background points.
  const map = payload.map;
  let exXY: Float32Array;
  let bgXY: Float32Array;
  let bgLabels: Uint8Array;
  if (map.kind === "pca") {
    exXY = new Float32Array(2 * ex.count);
    for (let i = 0; i < ex.count; i++)
      exXY.set(project(exCodes.subarray(i * dim, (i + 1) * dim)), 2 * i);
    bgXY = exXY;
    bgLabels = exLabels;
  } else {
    exXY = float32FromBase64(map.examples);
    bgXY = float32FromBase64(map.background);
    bgLabels = fromBase64(map.backgroundLabels);
  }
  const mapBounds = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i + 1 < bgXY.length; i += 2) {
    mapBounds[0] = Math.min(mapBounds[0], bgXY[i]);
    mapBounds[1] = Math.max(mapBounds[1], bgXY[i]);
    mapBounds[2] = Math.min(mapBounds[2], bgXY[i + 1]);
    mapBounds[3] = Math.max(mapBounds[3], bgXY[i + 1]);
  }
  const mapSpan = Math.max(mapBounds[1] - mapBounds[0], mapBounds[3] - mapBounds[2], 0);
  let codeScale = 1e-6;
  for (let i = 0; i < exCodes.length; i++) codeScale = Math.max(codeScale, Math.abs(exCodes[i]));

  const run = (model: TF.LayersModel, values: Float32Array, width: number): Float32Array => {
    const out = tf.tidy(() => model.predict(tf.tensor2d(values, [1, width])) as TF.Tensor);
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return Float32Array.from(data);
  };

  // --- DOM
  root.replaceChildren();
  const panel = root.appendChild(el(doc, "div", "ae-live"));
  panel.append(el(doc, "h4", "", payload.title));
  panel.append(
    el(
      doc,
      "div",
      "ae-muted",
      `The run's encoder and decoder run in this page (TensorFlow.js, ${tf.getBackend()} backend, ` +
        "no network). Draw a digit with the mouse or a finger, or pick a test image.",
    ),
  );
  const sections: Record<string, LiveElement> = {};
  for (const name of ["reconstruct", "anomaly", "map", "sliders", "pick"]) {
    sections[name] = el(doc, "section", `ae-live-${name}`);
  }
  const order = [payload.focus, ...["reconstruct", "anomaly", "map", "sliders", "pick"]];
  const sectionBox = panel.appendChild(el(doc, "div", "ae-sections"));
  for (const name of [...new Set(order)]) sectionBox.append(sections[name]);
  sections[payload.focus].className += " ae-live-focus";

  // Reconstruction: drawing canvas, input, reconstruction, error, and the code strip.
  const draw = doc.createElement("canvas");
  draw.width = DRAW_SIZE;
  draw.height = DRAW_SIZE;
  draw.className = "ae-draw";
  const drawCtx = draw.getContext("2d", { willReadFrequently: true }) as LiveContext2D;
  const inputCanvas = imageCanvas(doc, side);
  const reconCanvas = imageCanvas(doc, side);
  const errorCanvas = imageCanvas(doc, side);
  const clear = el(doc, "button", "", "Clear");
  const drawBox = el(doc, "div");
  drawBox.append(figure(doc, draw, "draw here"), clear);
  const row = el(doc, "div", "ae-row");
  row.append(
    drawBox,
    figure(doc, inputCanvas, "input (28×28, MNIST-centred)"),
    figure(doc, reconCanvas, "reconstruction"),
    figure(doc, errorCanvas, "|error| per pixel"),
  );
  const codeCanvas = doc.createElement("canvas");
  codeCanvas.width = Math.max(dim * 8, 256);
  codeCanvas.height = 70;
  codeCanvas.className = "ae-code";
  sections.reconstruct.append(
    el(doc, "h4", "", "Reconstruct what you draw"),
    row,
    figure(doc, codeCanvas, `the ${dim}-number code (bars; scale ±${codeScale.toFixed(2)})`),
  );

  // Anomaly.
  const bceText = el(doc, "div");
  const scoreText = el(doc, "div");
  const flag = el(doc, "span", "ae-flag off", "normal");
  const stats = el(doc, "div", "ae-stats");
  stats.append(
    bceText,
    scoreText,
    flag,
    el(
      doc,
      "div",
      "ae-muted",
      `threshold ${payload.anomaly.threshold.toPrecision(4)}: ${payload.anomaly.source}`,
    ),
  );
  sections.anomaly.append(el(doc, "h4", "", "Is it an anomaly?"), stats);

  // Map and neighbours.
  const mapCanvas = doc.createElement("canvas");
  mapCanvas.width = 280;
  mapCanvas.height = 280;
  mapCanvas.className = "ae-map";
  const neighborsBox = el(doc, "div", "ae-row");
  const mapRow = el(doc, "div", "ae-row");
  const neighborsFig = el(doc, "div");
  neighborsFig.append(
    el(doc, "div", "ae-muted", `${payload.neighbors} nearest test digits (code distance)`),
    neighborsBox,
  );
  mapRow.append(
    figure(
      doc,
      mapCanvas,
      map.kind === "pca"
        ? `${map.name}: first two principal axes of the codes, projected here`
        : `${map.name}: placed among its ${payload.neighbors} nearest embedded test digits (where most of them lie)`,
    ),
    neighborsFig,
  );
  const legend = el(doc, "div", "ae-muted");
  payload.classNames.forEach((name, c) => {
    const swatch = el(doc, "span", "", "■");
    swatch.style.cssText = `color:${payload.colors[c % payload.colors.length]}`;
    legend.append(swatch, ` ${name}  `);
  });
  sections.map.append(el(doc, "h4", "", "Where it lands on the map"), mapRow, legend);

  // Sliders.
  const sliderCanvas = imageCanvas(doc, side);
  const sliderBox = el(doc, "div");
  const sliders: LiveInput[] = [];
  const sliderTexts: LiveElement[] = [];
  for (let c = 0; c < payload.pca.count; c++) {
    const input = doc.createElement("input");
    input.type = "range";
    input.min = String(-payload.sliderSigmas);
    input.max = String(payload.sliderSigmas);
    input.step = "0.05";
    input.value = "0";
    input.className = `ae-slider-${c}`;
    const label = el(doc, "label", "ae-slider");
    const valueText = el(doc, "span", "", "+0.00σ");
    label.append(el(doc, "span", "", `PC ${c + 1}`), input, valueText);
    input.addEventListener("input", () => {
      valueText.textContent = `${Number(input.value) >= 0 ? "+" : ""}${Number(input.value).toFixed(2)}σ`;
      updateSliders();
    });
    sliders.push(input);
    sliderTexts.push(valueText);
    sliderBox.append(label);
  }
  const resetSliders = el(doc, "button", "", "Reset sliders");
  sliderBox.append(resetSliders);
  const sliderRow = el(doc, "div", "ae-row");
  sliderRow.append(
    sliderBox,
    figure(doc, sliderCanvas, "decoded: code + offsets along the principal directions"),
  );
  sections.sliders.append(
    el(doc, "h4", "", "Move the code along its principal directions"),
    sliderRow,
  );

  // Picking test images.
  const thumbs = el(doc, "div", "ae-row");
  const perClass = new Map<number, number>();
  for (let i = 0; i < ex.count && perClass.size <= payload.classNames.length; i++) {
    const seen = perClass.get(exLabels[i]) ?? 0;
    if (seen >= 2) continue;
    perClass.set(exLabels[i], seen + 1);
    const t = imageCanvas(doc, side, "ae-thumb");
    t.title = `test #${ex.indices[i]}: ${payload.classNames[exLabels[i]]}`;
    paint(t, exampleImage(i));
    t.addEventListener("click", () => pick(i));
    thumbs.append(t);
  }
  const randomButton = el(doc, "button", "", "Random test image");
  sections.pick.append(el(doc, "h4", "", "Or pick a test image"), thumbs, randomButton);

  // --- behaviour
  const state: LivePanelState = {
    backend: tf.getBackend(),
    source: "none",
    updates: 0,
    input: new Float32Array(pixels),
    code: new Float32Array(dim),
    reconstruction: new Float32Array(pixels),
    bce: 0,
    scoreName: payload.anomaly.score,
    score: 0,
    threshold: payload.anomaly.threshold,
    flagged: false,
    mapPoint: [0, 0],
    neighbors: [],
    sliders: sliders.map(() => 0),
    sliderImage: new Float32Array(pixels),
  };
  root.aeLive = state;

  function nearest(code: Float32Array): { index: number; distance: number }[] {
    const all: { index: number; distance: number }[] = [];
    for (let i = 0; i < ex.count; i++) {
      let d = 0;
      for (let t = 0; t < dim; t++) {
        const diff = exCodes[i * dim + t] - code[t];
        d += diff * diff;
      }
      all.push({ index: i, distance: Math.sqrt(d) });
    }
    return all
      .sort((a, b) => a.distance - b.distance || a.index - b.index)
      .slice(0, payload.neighbors);
  }

  function drawCode(code: Float32Array): void {
    const ctx = codeCanvas.getContext("2d");
    if (!ctx) return;
    const w = codeCanvas.width / dim;
    const mid = codeCanvas.height / 2;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, codeCanvas.width, codeCanvas.height);
    ctx.fillStyle = "#ccc";
    ctx.fillRect(0, mid, codeCanvas.width, 1);
    for (let t = 0; t < dim; t++) {
      const h = (Math.max(-1, Math.min(1, code[t] / codeScale)) * (mid - 2)) | 0;
      ctx.fillStyle = code[t] >= 0 ? "#4e79a7" : "#e15759";
      ctx.fillRect(t * w + 1, h >= 0 ? mid - h : mid, Math.max(1, w - 2), Math.abs(h));
    }
  }

  function drawMap(point: [number, number], near: { index: number }[]): void {
    const ctx = mapCanvas.getContext("2d");
    if (!ctx) return;
    let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < bgXY.length; i += 2) {
      minX = Math.min(minX, bgXY[i]);
      maxX = Math.max(maxX, bgXY[i]);
      minY = Math.min(minY, bgXY[i + 1]);
      maxY = Math.max(maxY, bgXY[i + 1]);
    }
    const pad = 12;
    const size = mapCanvas.width - 2 * pad;
    const span = Math.max(maxX - minX, maxY - minY, 1e-9);
    const sx = (x: number) => pad + Math.min(1, Math.max(0, (x - minX) / span)) * size;
    const sy = (y: number) => pad + size - Math.min(1, Math.max(0, (y - minY) / span)) * size;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, mapCanvas.width, mapCanvas.height);
    ctx.globalAlpha = bgLabels.length > 2000 ? 0.5 : 0.8;
    const dot = bgLabels.length > 2000 ? 2 : 3;
    for (let i = 0; i < bgLabels.length; i++) {
      ctx.fillStyle = payload.colors[bgLabels[i] % payload.colors.length];
      ctx.fillRect(sx(bgXY[2 * i]) - dot / 2, sy(bgXY[2 * i + 1]) - dot / 2, dot, dot);
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1.5;
    for (const n of near) {
      ctx.strokeStyle = "#222";
      ctx.beginPath();
      ctx.arc(sx(exXY[2 * n.index]), sy(exXY[2 * n.index + 1]), 4, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.fillStyle = "#000";
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(sx(point[0]), sy(point[1]), 7, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }

  function updateSliders(): void {
    const code = Float32Array.from(state.code);
    state.sliders = sliders.map((s) => Number(s.value));
    for (let c = 0; c < sliders.length; c++) {
      const offset = state.sliders[c] * payload.pca.sd[c];
      for (let t = 0; t < dim; t++) code[t] += offset * pcaComponents[c * dim + t];
    }
    state.sliderImage = run(decoder, code, dim);
    paint(sliderCanvas, state.sliderImage);
  }

  function update(input: Float32Array, source: string): void {
    state.input = input;
    state.source = source;
    state.code = run(encoder, input, pixels);
    state.reconstruction = run(decoder, state.code, dim);
    const x = state.input;
    const p = state.reconstruction;
    const a = payload.anomaly;
    state.bce = imageBce(x, p, payload.bceEpsilon);
    state.score = imageScore(x, p, a.score, a.inkThreshold, payload.bceEpsilon);
    state.flagged = state.score >= a.threshold;
    paint(inputCanvas, x);
    paint(reconCanvas, p);
    paint(
      errorCanvas,
      Float32Array.from(x, (v, i) => Math.abs(v - p[i])),
    );
    drawCode(state.code);
    bceText.textContent = `BCE ${state.bce.toFixed(4)} (nats per pixel)`;
    scoreText.textContent = `anomaly score (${a.score}) ${state.score.toPrecision(4)}`;
    flag.textContent = state.flagged ? "anomaly" : "normal";
    flag.className = `ae-flag ${state.flagged ? "on" : "off"}`;
    const near = nearest(state.code);
    state.neighbors = near.map((n) => ex.indices[n.index]);
    if (map.kind === "pca") {
      state.mapPoint = project(state.code);
    } else {
      state.mapPoint = placeAmongNeighbors(
        near.map((n) => [exXY[2 * n.index], exXY[2 * n.index + 1]]),
        mapSpan,
      );
    }
    drawMap(state.mapPoint, near);
    neighborsBox.replaceChildren(
      ...near.map((n) => {
        const t = imageCanvas(doc, side, "ae-thumb");
        paint(t, exampleImage(n.index));
        t.addEventListener("click", () => pick(n.index));
        return figure(
          doc,
          t,
          `${payload.classNames[exLabels[n.index]]} · ${n.distance.toFixed(1)}`,
        );
      }),
    );
    resetSliderValues();
    state.updates++;
    root.dataset.updates = String(state.updates);
  }

  function pick(i: number): void {
    clearDrawing();
    fresh = true;
    update(exampleImage(i), `test #${ex.indices[i]}`);
  }

  // Drawing: white round strokes on black, read back as ink, MNIST-preprocessed.
  function clearDrawing(): void {
    drawCtx.fillStyle = "#000";
    drawCtx.fillRect(0, 0, DRAW_SIZE, DRAW_SIZE);
  }
  function drawnInput(): Float32Array {
    const rgba = drawCtx.getImageData(0, 0, DRAW_SIZE, DRAW_SIZE).data;
    const ink = new Float32Array(DRAW_SIZE * DRAW_SIZE);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i] / 255;
    return mnistPreprocess(ink, DRAW_SIZE, DRAW_SIZE, side);
  }
  let last: [number, number] | null = null;
  const at = (e: LivePointerEvent): [number, number] => {
    const r = draw.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * DRAW_SIZE) / r.width,
      ((e.clientY - r.top) * DRAW_SIZE) / r.height,
    ];
  };
  const strokeTo = (p: [number, number]) => {
    drawCtx.strokeStyle = "#fff";
    drawCtx.fillStyle = "#fff";
    drawCtx.lineWidth = STROKE_WIDTH;
    drawCtx.lineCap = "round";
    drawCtx.lineJoin = "round";
    drawCtx.beginPath();
    if (last) {
      drawCtx.moveTo(last[0], last[1]);
      drawCtx.lineTo(p[0], p[1]);
      drawCtx.stroke();
    } else {
      drawCtx.arc(p[0], p[1], STROKE_WIDTH / 2, 0, 2 * Math.PI);
      drawCtx.fill();
    }
    last = p;
  };
  let fresh = true;
  draw.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    draw.setPointerCapture?.(e.pointerId);
    if (fresh) clearDrawing();
    fresh = false;
    last = null;
    strokeTo(at(e));
    update(drawnInput(), "drawing");
  });
  draw.addEventListener("pointermove", (e) => {
    if (!last) return;
    e.preventDefault();
    strokeTo(at(e));
    update(drawnInput(), "drawing");
  });
  const end = () => {
    last = null;
  };
  draw.addEventListener("pointerup", end);
  draw.addEventListener("pointercancel", end);
  clear.addEventListener("click", () => {
    clearDrawing();
    fresh = false;
    update(new Float32Array(pixels), "drawing");
  });
  function resetSliderValues(): void {
    for (const s of sliders) s.value = "0";
    for (const t of sliderTexts) t.textContent = "+0.00σ";
    updateSliders();
  }
  resetSliders.addEventListener("click", resetSliderValues);
  let rng = payload.seed >>> 0 || 1;
  randomButton.addEventListener("click", () => {
    rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0;
    pick(rng % ex.count);
  });

  pick(0);
  root.dataset.ready = "1";
  return state;
}

/**
 * Mount every panel of the page. The panel's static note (shown where scripts do not run) is
 * replaced; a panel that fails shows its error instead.
 */
export async function mountLivePanels(tf: Tf, doc: LiveDocument): Promise<void> {
  const style = doc.createElement("style");
  style.textContent = CSS;
  (doc.querySelectorAll("head")[0] ?? doc.querySelectorAll("body")[0])?.appendChild(style);
  // One image at a time: tfjs's cpu backend is exact float32 and fast enough, and needs no GPU.
  await tf.setBackend("cpu");
  await tf.ready();
  const roots = Array.from(doc.querySelectorAll(".ae-live-panel"));
  for (const root of roots) {
    try {
      const data = root.querySelector("script.ae-live-data");
      const payload = JSON.parse(data?.textContent ?? "null") as LivePanelPayload;
      if (!payload || payload.version !== 1) throw new Error("no panel data in this output");
      await mountLivePanel(tf, doc, root, payload);
    } catch (error) {
      root.dataset.ready = "error";
      const note = root.querySelector(".ae-live-note") ?? root;
      note.textContent = `The live panel could not start: ${(error as Error).message ?? error}`;
      note.style.cssText = "color:#b00020";
    }
  }
}
