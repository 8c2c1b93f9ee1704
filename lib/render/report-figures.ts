/**
 * The figures `npm run figures` renders for a report, one entry each: a file name, what it shows,
 * and how to build it from a saved run (null when it does not apply to that run, e.g. no final
 * model). To add a figure, add one entry to REPORT_FIGURES.
 */
import type { Figure } from "../plots/figure";
import { binCounts } from "../plots/binning";
import { confusionMatrixFigure } from "../plots/confusion";
import { bestWorstGalleryFigure, reconstructionGalleryFigure } from "../plots/gallery";
import { histogramFigure } from "../plots/histogram";
import { lineFigure } from "../plots/line";
import { epochTimeFigure, lossCurvesFigure } from "../plots/loss-curves";
import { pointColumns, scatterFigure } from "../plots/scatter";
import { samplesPerClass } from "../data/explore";
import { clusterAccuracy, contingencyTable } from "../ml/cluster-metrics";
import { kmeans } from "../ml/kmeans";
import { fitPca, pcaTransform } from "../ml/pca";
import { createRng } from "../random";
import {
  bestAndWorst,
  examplesByRank,
  galleryExamples,
  modelReconstructor,
  type PerImageErrors,
} from "../quality/reconstruction-analysis";
import type { ReportEmbedding, ReportRun } from "./report-run";

export interface ReportFigure {
  /** File name without extension: lower-case letters, digits and dashes. */
  name: string;
  /** One line: what the figure shows. */
  describe: string;
  /** The figure for this run, or null when it does not apply (the reason in `skipReason`). */
  build(run: ReportRun): Figure | null | Promise<Figure | null>;
  /** Why build() gave null, for the printed summary. Default "not applicable to this run". */
  skipReason?: string;
}

/** Random test images per digit in the reconstruction gallery (notebook 04's examplesPerDigit). */
export const EXAMPLES_PER_DIGIT = 2;
/** Best and worst test reconstructions shown (notebook 04's rankCount). */
export const RANK_COUNT = 10;

/** Largest image size (pixels × channels) whose PCA is drawn next to the codes' in pca-variance. */
export const PIXEL_PCA_MAX_DIM = 1024;

const NO_MODEL = "no final model (run not finished)";
const NO_MAP = "no final model (run not finished), or fewer than 4 test codes / 2 code dimensions";

const lossCurves: ReportFigure = {
  name: "loss-curves",
  describe: "training and validation loss per epoch, best epoch marked",
  skipReason: "no finished epoch",
  build: (run) =>
    run.history.length === 0
      ? null
      : lossCurvesFigure([{ name: run.name, history: run.history, loss: run.config.train.loss }], {
          title: `Loss per epoch · ${run.name}`,
        }),
};

const epochTimes: ReportFigure = {
  name: "epoch-times",
  describe: "seconds per epoch, training pass and validation",
  skipReason: "no finished epoch",
  build: (run) =>
    run.history.length === 0
      ? null
      : epochTimeFigure([{ name: run.name, history: run.history }], {
          title: `Seconds per epoch · ${run.name}`,
        }),
};

const reconstructions: ReportFigure = {
  name: "reconstructions",
  describe: `${EXAMPLES_PER_DIGIT} random test images per digit over their reconstructions, BCE noted (notebook 04)`,
  skipReason: NO_MODEL,
  build: async (r) => {
    if (!r.finished) return null;
    const { set, shape, classNames } = await r.testSet();
    const picked = samplesPerClass(set, EXAMPLES_PER_DIGIT, createRng(r.seed), classNames.length);
    const blocks = galleryExamples(
      set,
      shape,
      examplesByRank(picked),
      modelReconstructor(await r.model(), shape),
      { errors: await r.errors("bce") },
    );
    return reconstructionGalleryFigure(blocks, shape, {
      columnLabels: classNames,
      errorName: "BCE",
      title: `${EXAMPLES_PER_DIGIT} random test images per digit, reconstructed by ${r.name}`,
    });
  },
};

const bestWorst: ReportFigure = {
  name: "best-worst",
  describe: `the ${RANK_COUNT} best and ${RANK_COUNT} worst test reconstructions by BCE (notebook 04)`,
  skipReason: NO_MODEL,
  build: async (r) => {
    if (!r.finished) return null;
    const { set, shape, classNames } = await r.testSet();
    const bce = await r.errors("bce");
    // bestAndWorst reads only the error it ranks by.
    const ranked = bestAndWorst({ bce } as PerImageErrors, RANK_COUNT, "bce");
    const [best, worst] = galleryExamples(
      set,
      shape,
      [ranked.best, ranked.worst],
      modelReconstructor(await r.model(), shape),
      { errors: bce, classNames },
    );
    return bestWorstGalleryFigure(best, worst, shape, {
      errorName: "BCE",
      title: `Best and worst ${ranked.best.length} of ${set.count} test reconstructions by BCE · ${r.name}`,
    });
  },
};

const errorHistogram: ReportFigure = {
  name: "error-histogram",
  describe: "per-image reconstruction error on the test set (the run's loss)",
  skipReason: NO_MODEL,
  build: async (r) => {
    if (!r.finished) return null;
    const { set } = await r.testSet();
    const kind = r.config.train.loss;
    const errors = await r.errors(kind);
    const sorted = Float64Array.from(errors).sort();
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    const median = sorted[Math.floor(sorted.length / 2)];
    return histogramFigure(binCounts(errors, { bins: 60 }), {
      title: `Per-image reconstruction error · ${r.name}`,
      xTitle: `per-image ${kind.toUpperCase()}`,
      yTitle: "test images",
      note: `${set.count.toLocaleString("en-US")} images<br>mean ${mean.toPrecision(4)}<br>median ${median.toPrecision(4)}`,
    });
  },
};

const pcaVariance: ReportFigure = {
  name: "pca-variance",
  describe:
    "cumulative explained variance of the PCA of the test codes and of the raw pixels (up to 1,024 per image; notebook 05)",
  skipReason: NO_MODEL,
  build: async (r) => {
    if (!r.finished) return null;
    const [codes, pcaCodes] = [await r.codes(), await r.pca()];
    const images = (await r.testSet()).set.images;
    const pixels = images.length / codes.n;
    // The pixel baseline's covariance is pixels × pixels: seconds for 784, minutes for 3,072.
    const pcaPixels =
      pixels <= PIXEL_PCA_MAX_DIM
        ? fitPca(images, codes.n, pixels, {
            components: Math.min(64, pixels, Math.max(1, codes.n - 1)),
          })
        : null;
    const upTo = Math.min(pcaCodes.count, pcaPixels?.count ?? Infinity);
    const axis = Array.from({ length: upTo }, (_, i) => i + 1);
    const cumulative = (ratios: Float64Array) => {
      let sum = 0;
      return axis.map((_, i) => (sum += ratios[i]));
    };
    const series = [
      { name: `codes (${codes.dim}-d)`, x: axis, y: cumulative(pcaCodes.explainedVarianceRatio) },
    ];
    if (pcaPixels) {
      series.push({
        name: `pixels (${pixels}-d)`,
        x: axis,
        y: cumulative(pcaPixels.explainedVarianceRatio),
      });
    }
    return lineFigure(series, {
      title: `Cumulative explained variance of ${codes.n.toLocaleString("en-US")} test images · ${r.name}`,
      xTitle: "number of components",
      yTitle: "share of total variance",
    });
  },
};

const pcaScatter: ReportFigure = {
  name: "pca-scatter",
  describe: "the sample of test codes on their first two principal axes, coloured by class",
  skipReason: NO_MAP,
  build: async (r) => {
    if (!r.finished) return null;
    const [codes, sample, pca] = [await r.codes(), await r.sample(), await r.pca()];
    if (pca.count < 2) return null;
    const xy = pointColumns(pcaTransform(pca, sample.points, sample.n), pca.count, [0, 1]);
    return scatterFigure(
      { x: xy.x, y: xy.y, labels: sample.labels },
      {
        title: `Codes on their first two principal axes (${sample.n} test images)`,
        xTitle: "PC 1",
        yTitle: "PC 2",
        classNames: codes.classNames,
      },
    );
  },
};

/** Side of the square plot area of a t-SNE / UMAP map, in CSS pixels. */
const MAP_SIDE = 460;

/**
 * A t-SNE / UMAP map for reports: equal axes in a square plot area (a wide frame would leave half
 * the width empty), the legend in a column on the right, the method's settings in the title (the
 * compute time belongs to the log, not to the figure).
 */
export function mapScatterFigure(
  what: string,
  map: Pick<ReportEmbedding, "embedding" | "components" | "n" | "settings">,
  classNames: string[],
  labels: Uint8Array,
): Figure {
  const xy = pointColumns(map.embedding, map.components, [0, 1]);
  const fig = scatterFigure(
    { x: xy.x, y: xy.y, labels },
    { title: `${what} of ${map.n} test codes (${map.settings})`, classNames, equalAxes: true },
  );
  const margin = { l: 60, r: 150, t: 60, b: 50 };
  fig.layout.margin = margin;
  fig.layout.width = margin.l + MAP_SIDE + margin.r;
  fig.layout.height = margin.t + MAP_SIDE + margin.b;
  fig.layout.legend = {
    ...(fig.layout.legend as object),
    orientation: "v",
    x: 1.02,
    xanchor: "left",
    y: 1,
    yanchor: "top",
  };
  return fig;
}

const tsneScatter: ReportFigure = {
  name: "tsne",
  describe: "t-SNE map of the sample of test codes, coloured by class (cached next to the codes)",
  skipReason: NO_MAP,
  build: async (r) => {
    if (!r.finished) return null;
    const [codes, sample] = [await r.codes(), await r.sample()];
    if (sample.n < 4) return null;
    return mapScatterFigure("t-SNE", await r.tsne(), codes.classNames, sample.labels);
  },
};

const umapScatter: ReportFigure = {
  name: "umap",
  describe: "UMAP map of the sample of test codes, coloured by class (cached next to the codes)",
  skipReason: NO_MAP,
  build: async (r) => {
    if (!r.finished) return null;
    const [codes, sample] = [await r.codes(), await r.sample()];
    if (sample.n < 4) return null;
    return mapScatterFigure("UMAP", await r.umap(), codes.classNames, sample.labels);
  },
};

const kmeansConfusion: ReportFigure = {
  name: "kmeans-confusion",
  describe:
    "classes × k-means clusters of the sample of test codes, clusters matched to classes (notebook 06)",
  skipReason: NO_MODEL,
  build: async (r) => {
    if (!r.finished) return null;
    const [codes, sample] = [await r.codes(), await r.sample()];
    const k = Math.min(r.analysis.clusters, sample.n);
    const km = kmeans(sample.points, sample.n, sample.dim, {
      k,
      restarts: r.analysis.kmeansRestarts,
      seed: r.seed,
    });
    const accuracy = clusterAccuracy(sample.labels, km.assignments);
    const table = contingencyTable(sample.labels, km.assignments);
    const matched = (c: number) => accuracy.mapping.get(c) ?? Number.MAX_SAFE_INTEGER;
    const order = table.clusters
      .map((c, j) => ({ c, j }))
      .sort((a, b) => matched(a.c) - matched(b.c) || a.c - b.c);
    const names = codes.classNames;
    return confusionMatrixFigure(
      table.counts.map((row) => order.map((o) => row[o.j])),
      {
        rowLabels: table.classes.map((c) => names[c] ?? String(c)),
        colLabels: order.map(
          (o) => `${o.c} → ${accuracy.mapping.has(o.c) ? (names[matched(o.c)] ?? "?") : "?"}`,
        ),
        normalize: true,
        title: `k-means on ${sample.n} test codes: k = ${k}, accuracy ${(100 * accuracy.accuracy).toFixed(1)}%`,
        rowTitle: "true class",
        colTitle: "cluster → matched class",
      },
    );
  },
};

/** Every report figure, in the order they are rendered. */
export const REPORT_FIGURES: ReportFigure[] = [
  lossCurves,
  epochTimes,
  reconstructions,
  bestWorst,
  errorHistogram,
  pcaVariance,
  pcaScatter,
  tsneScatter,
  umapScatter,
  kmeansConfusion,
];
