/**
 * Published clustering results to print next to ours. Sources: the DEC paper (Xie, Girshick &
 * Farhadi, "Unsupervised Deep Embedding for Clustering Analysis", ICML 2016) and the results
 * table of its Keras reimplementation (XifengGuo/DEC-keras), as collected in the project's field
 * notes. All on the full MNIST (70,000 images) or Fashion-MNIST, k = 10.
 */
import type { DatasetName } from "../config";

/** A type, not an interface, so rows pass as Record<string, unknown> (showTable). */
export type ClusteringReference = {
  space: string;
  accuracy: number | null;
  NMI: number | null;
  ARI: number | null;
  /** Always null: the sources do not report it. */
  silhouette: null;
};

const MNIST: ClusteringReference[] = [
  {
    space: "reference: k-means on raw pixels",
    accuracy: 0.53,
    NMI: 0.5,
    ARI: null,
    silhouette: null,
  },
  {
    space: "reference: deep AE (10-d code) + k-means",
    accuracy: 0.879,
    NMI: 0.807,
    ARI: 0.783,
    silhouette: null,
  },
  { space: "reference: DEC", accuracy: 0.912, NMI: 0.869, ARI: 0.856, silhouette: null },
];

const FASHION: ClusteringReference[] = [
  {
    space: "reference: deep AE + k-means",
    accuracy: 0.606,
    NMI: 0.637,
    ARI: null,
    silhouette: null,
  },
];

/** Reference rows for a dataset (none for datasets without published numbers here). */
export function clusteringReferences(dataset: DatasetName): ClusteringReference[] {
  if (dataset === "mnist") return MNIST.map((r) => ({ ...r }));
  if (dataset === "fashion-mnist") return FASHION.map((r) => ({ ...r }));
  return [];
}
