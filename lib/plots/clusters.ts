/**
 * Figures of a clustering against the true classes: the confusion matrix with clusters ordered by
 * the class each is matched to (a perfect clustering is a diagonal), and cluster prototypes (e.g.
 * decoded centroids) in the same order.
 */
import type { ImageShape } from "../data/types";
import { clusterAccuracy, contingencyTable } from "../ml/cluster-metrics";
import { confusionMatrixFigure } from "./confusion";
import type { Figure } from "./figure";
import { imageGridFigure } from "./images";

/** Cluster ids ordered by the class each is matched to (unmatched clusters last, by id). */
export function clustersByMatchedClass(mapping: ReadonlyMap<number, number>, k: number): number[] {
  const key = (c: number) => mapping.get(c) ?? Number.MAX_SAFE_INTEGER;
  return Array.from({ length: k }, (_, c) => c).sort((a, b) => key(a) - key(b) || a - b);
}

/**
 * Row-normalised confusion matrix of true classes × clusters, columns ordered by matched class
 * and labelled "cluster → class". Returns the figure and the clustering accuracy.
 */
export function clusterConfusionFigure(
  labels: ArrayLike<number>,
  assignments: ArrayLike<number>,
  options: { classNames?: readonly string[]; title?: string } = {},
): { figure: Figure; accuracy: number } {
  const table = contingencyTable(labels, assignments);
  const { accuracy, mapping } = clusterAccuracy(labels, assignments);
  const name = (c: number) => options.classNames?.[c] ?? String(c);
  const order = table.clusters
    .map((c, j) => ({ c, j }))
    .sort(
      (a, b) =>
        (mapping.get(a.c) ?? Number.MAX_SAFE_INTEGER) -
          (mapping.get(b.c) ?? Number.MAX_SAFE_INTEGER) || a.c - b.c,
    );
  const figure = confusionMatrixFigure(
    table.counts.map((row) => order.map((o) => row[o.j])),
    {
      rowLabels: table.classes.map(name),
      colLabels: order.map((o) => `${o.c} → ${mapping.has(o.c) ? name(mapping.get(o.c)!) : "?"}`),
      normalize: true,
      title: `${options.title ?? "True class × cluster"} (accuracy ${(100 * accuracy).toFixed(1)}%)`,
      rowTitle: "true class",
      colTitle: "cluster → matched class",
    },
  );
  return { figure, accuracy };
}

/**
 * One row of cluster prototypes (images, k × pixels) per clustering, each row ordered by matched
 * class so that the columns line up by class.
 */
export function prototypeRowsFigure(
  rows: ReadonlyArray<{
    label: string;
    images: Float32Array;
    labels: ArrayLike<number>;
    assignments: ArrayLike<number>;
  }>,
  shape: ImageShape,
  options: { title?: string; classNames?: readonly string[] } = {},
): Figure {
  const pixels = shape.height * shape.width * shape.channels;
  const grid = rows.map((row) => {
    const k = row.images.length / pixels;
    const order = clustersByMatchedClass(clusterAccuracy(row.labels, row.assignments).mapping, k);
    return order.map((c) => row.images.subarray(c * pixels, (c + 1) * pixels));
  });
  const k = grid[0]?.length ?? 0;
  return imageGridFigure(grid, shape, {
    title: options.title,
    rowLabels: rows.map((r) => r.label),
    columnLabels: Array.from({ length: k }, (_, c) => options.classNames?.[c] ?? String(c)),
  });
}
