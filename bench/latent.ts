/**
 * Latent-analysis benchmark: PCA, k-means, UMAP and the clustering pipelines on the MNIST test
 * set (10,000 images) and a run's codes. Run: npm run bench:latent [-- options]. Prints figures
 * (times in wall-clock seconds next to the load average, which on a shared machine matters);
 * asserts nothing.
 *
 * Options:
 *   --run <name>      a run whose test codes to use (repeatable; default: reference)
 *   --runs-dir <dir>  where runs live (default: runs)
 *   --limit <n>       only the first n test images (a quick look; default all)
 *   --no-raw          skip k-means on the raw 784-d pixels (the slowest step, ~10-40 s)
 *   --no-tsne         skip the t-SNE pipeline (~1 min)
 */
import * as fs from "node:fs";
import { openRun } from "../lib/runs/open-run";
import {
  clusterCodes,
  RECOMMENDED_CODE_CLUSTERING,
  type ClusterCodesOptions,
  type ClusteredCodes,
} from "../lib/latent/cluster-codes";
import { kmeans } from "../lib/ml/kmeans";
import { nearestNeighbors } from "../lib/ml/neighbors";
import { fitPca, pcaTransform } from "../lib/ml/pca";
import { trustworthiness } from "../lib/ml/trustworthiness";
import { umapEmbed } from "../lib/ml/umap";

const SEED = 0;

function loadAverage(): string {
  return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

/** Wall-clock and CPU seconds of `run` (CPU time says more than wall time on a loaded machine). */
function timed<T>(run: () => T): { value: T; seconds: number; cpu: number } {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const value = run();
  const cpu = process.cpuUsage(cpuStart);
  return { value, seconds: (performance.now() - start) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

function seconds(t: { seconds: number; cpu: number }): string {
  return `${t.seconds.toFixed(2)} s (CPU ${t.cpu.toFixed(2)} s)`;
}

function line(label: string, text: string): void {
  console.log(`${label.padEnd(46)} ${text}   [load ${loadAverage()}]`);
}

function parseArgs(argv: string[]) {
  const runs: string[] = [];
  let runsDir = "runs";
  let limit: number | null = null;
  let raw = true;
  let tsne = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--run") runs.push(argv[++i]);
    else if (arg === "--runs-dir") runsDir = argv[++i];
    else if (arg === "--limit") limit = Number(argv[++i]);
    else if (arg === "--no-raw") raw = false;
    else if (arg === "--no-tsne") tsne = false;
    else throw new Error(`Unknown option ${arg}: see the comment at the top of bench/latent.ts.`);
  }
  if (limit !== null && !(Number.isInteger(limit) && limit > 20)) {
    throw new Error(`--limit ${limit}: use an integer above 20.`);
  }
  return { runs: runs.length ? runs : ["reference"], runsDir, limit, raw, tsne };
}

async function pipeline(
  label: string,
  points: Float32Array,
  n: number,
  dim: number,
  labels: Uint8Array,
  options: Omit<ClusterCodesOptions, "seed" | "labels">,
): Promise<ClusteredCodes> {
  const cpuStart = process.cpuUsage();
  const result = await clusterCodes(points, n, dim, {
    ...options,
    seed: SEED,
    labels,
    // Exact silhouette up to 64-d features; a 1,000-point sample (against all points) above.
    silhouette: (options.embedding && options.embedding.kind !== "none") || dim <= 64 ? true : 1000,
  });
  const cpuUsed = process.cpuUsage(cpuStart);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
  const s = result.scores!;
  const t = result.seconds;
  line(
    label,
    `ACC ${s.accuracy.toFixed(3)}  NMI ${s.nmi.toFixed(3)}  ARI ${s.ari.toFixed(3)}  silhouette ${result.silhouette!.toFixed(3)}` +
      `  (embed ${t.embed.toFixed(1)} s, cluster ${t.cluster.toFixed(1)} s, silhouette ${t.score.toFixed(1)} s; CPU ${cpu.toFixed(1)} s)`,
  );
  return result;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  console.log(
    `bench:latent  node ${process.version}  cpus ${(await import("node:os")).cpus().length}  load ${loadAverage()}`,
  );
  const first = await openRun(args.runs[0], { runsDir: args.runsDir }).codes("test");
  const n = args.limit ? Math.min(args.limit, first.n) : first.n;
  const labels = first.labels.subarray(0, n);
  const pixels = (await first.images()).subarray(0, n * 784);
  console.log(`MNIST test: ${n} images of 784 pixels`);

  console.log("\n-- PCA --");
  const pca = timed(() => fitPca(pixels, n, 784, { components: 64 }));
  const kept = pca.value.explainedVarianceRatio.reduce((a, b) => a + b, 0);
  line(
    "PCA 784 → 64 (pixels)",
    `${seconds(pca)}  (64 components keep ${(100 * kept).toFixed(1)}% of the variance)`,
  );
  const pixels64 = pcaTransform(pca.value, pixels, n);

  console.log("\n-- k-means (k = 10, 10 restarts, k-means++) --");
  if (args.raw) {
    const raw = timed(() => kmeans(pixels, n, 784, { k: 10, restarts: 10, seed: SEED }));
    line(
      "k-means pixels (784-d)",
      `${seconds(raw)}  inertia ${raw.value.inertia.toFixed(0)}  ${raw.value.iterations} iterations`,
    );
  }
  const km64 = timed(() => kmeans(pixels64, n, 64, { k: 10, restarts: 10, seed: SEED }));
  line(
    "k-means PCA-64 of pixels",
    `${seconds(km64)}  inertia ${km64.value.inertia.toFixed(0)}  ${km64.value.iterations} iterations`,
  );

  console.log("\n-- clustering pipelines on pixels (k = 10) --");
  if (args.raw) await pipeline("pixels → k-means", pixels, n, 784, labels, {});
  await pipeline("pixels → PCA-64 → k-means", pixels, n, 784, labels, {
    embedding: { kind: "pca", components: 64 },
  });

  for (const run of args.runs) {
    const codes =
      run === args.runs[0] ? first : await openRun(run, { runsDir: args.runsDir }).codes("test");
    const dim = codes.dim;
    const c = codes.codes.subarray(0, n * dim);
    console.log(`\n-- run ${run}: ${n} test codes of ${dim} dimensions --`);
    const pcaCodes = timed(() => fitPca(c, n, dim));
    line(`PCA of the codes (${dim} → ${dim})`, seconds(pcaCodes));
    const kmCodes = timed(() => kmeans(c, n, dim, { k: 10, restarts: 10, seed: SEED }));
    line(
      `k-means codes (${dim}-d)`,
      `${seconds(kmCodes)}  inertia ${kmCodes.value.inertia.toFixed(1)}  ${kmCodes.value.iterations} iterations`,
    );

    const knn = { ...nearestNeighbors(c, n, dim, 14), k: 14 };
    const umap = timed(() =>
      umapEmbed(c, n, dim, { seed: SEED, neighbors: 15, minDist: 0.1, knn }),
    );
    const trust = timed(() => trustworthiness(c, umap.value, n, dim, 2, 10));
    line(
      "UMAP 2-D (15 nn, minDist 0.1, spectral start)",
      `${seconds(umap)}  trustworthiness(10) ${trust.value.toFixed(4)} (${seconds(trust)})`,
    );

    await pipeline(`${run}: codes → k-means`, c, n, dim, labels, {});
    await pipeline(`${run}: L2 codes → k-means`, c, n, dim, labels, { normalize: "l2" });
    await pipeline(`${run}: standardised codes → k-means`, c, n, dim, labels, {
      normalize: "standardize",
    });
    await pipeline(`${run}: PCA-whitened codes → k-means`, c, n, dim, labels, {
      normalize: "pca-whiten",
    });
    if (dim <= 16) {
      // A full-covariance mixture costs n·k·dim² per EM step: only for small codes.
      await pipeline(`${run}: standardised codes → GMM`, c, n, dim, labels, {
        normalize: "standardize",
        method: "gmm",
      });
    }
    const umapGmm = await pipeline(`${run}: codes → UMAP-2 → GMM`, c, n, dim, labels, {
      embedding: { kind: "umap" },
    });
    await pipeline(`${run}: (same UMAP-2) → k-means`, umapGmm.features, n, 2, labels, {});
    await pipeline(
      `${run}: standardised → UMAP-2 → GMM (recommended)`,
      c,
      n,
      dim,
      labels,
      RECOMMENDED_CODE_CLUSTERING,
    );
    if (args.tsne) {
      await pipeline(`${run}: codes → t-SNE → GMM`, c, n, dim, labels, {
        embedding: { kind: "tsne" },
      });
    }
  }
  console.log(
    "\nReferences (FIELD-NOTES): sklearn PCA 784→64 0.61 s, KMeans×10 on 64-d 0.59 s; k-means on pixels ACC 0.53 / NMI 0.50; AE + k-means 0.879 / 0.807 / 0.783 (DEC).",
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
