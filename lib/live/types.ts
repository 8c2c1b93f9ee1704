/**
 * What a live panel carries into the page: the typed contract between the Node side
 * (lib/live/panel.ts builds it) and the page code (lib/live/page.ts reads it). Types only.
 * Binary arrays travel as base64 of their little-endian bytes.
 */

/** Reconstruction scores the page can compute (the formulas of lib/apps/anomaly.ts). */
export type LiveScoreName = "bce" | "mse" | "unionMse" | "relative";

/** Which part a notebook is about: that section is shown first and marked. */
export type LiveFocus = "reconstruct" | "map" | "anomaly" | "sliders";

/** A tfjs layers model in memory: what model.json and weights.bin hold. */
export interface LiveModel {
  topology: object;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  /** base64 of the float32 weights, in weightSpecs order. */
  weights: string;
}

export interface LivePanelPayload {
  version: 1;
  title: string;
  focus: LiveFocus;
  /** Image side (28 for MNIST); images are side × side × 1, values in [0, 1]. */
  side: number;
  codeSize: number;
  classNames: string[];
  /** One CSS colour per class (the plots' colorway). */
  colors: string[];
  encoder: LiveModel;
  decoder: LiveModel;
  /** Test images embedded for picking, neighbours and the map. */
  examples: {
    count: number;
    /** Row in the notebook's test set of each example. */
    indices: number[];
    /** base64 uint8, count × side² (pixel × 255: exact for MNIST's k/255 values). */
    images: string;
    /** base64 uint8, count. */
    labels: string;
    /** base64 float32, count × codeSize: the codes Node computed. */
    codes: string;
  };
  /** Principal directions of the test codes (fitted in Node on all of them). */
  pca: {
    /** base64 float32, codeSize. */
    mean: string;
    /** base64 float32, components × codeSize, unit rows. */
    components: string;
    count: number;
    /** Standard deviation of the codes along each component. */
    sd: number[];
  };
  /** The notebook's 2-D map. */
  map:
    | { kind: "pca"; name: string }
    | {
        kind: "points";
        name: string;
        /** base64 float32, count × 2: the map position of each embedded example. */
        examples: string;
        /** Every point of the map, for the background: base64 float32 n × 2 and uint8 labels. */
        background: string;
        backgroundLabels: string;
      };
  anomaly: {
    score: LiveScoreName;
    /** Flagged when score ≥ threshold. */
    threshold: number;
    /** Where the threshold comes from, shown under the score. */
    source: string;
    /** A pixel is ink above this value (unionMse). */
    inkThreshold: number;
  };
  /** Probabilities are clipped to [eps, 1 − eps] in the BCE (as lib/quality/metrics). */
  bceEpsilon: number;
  neighbors: number;
  /** Sliders move ±sliderSigmas standard deviations along each component. */
  sliderSigmas: number;
  seed: number;
}
