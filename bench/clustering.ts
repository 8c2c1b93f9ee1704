/**
 * Which architecture clusters best? One table: for each autoencoder (the default 784-256-64, the
 * deeper 784-500-500-2000-64 of the recommended clustering path, a 784-256-10 code as the DEC
 * papers' 10-d code) × each way of clustering its 10,000 MNIST test codes (k-means, a Gaussian
 * mixture, BENCH_PIPELINE = N2D's UMAP-10 → GMM, and IDEC fine-tuning with RECOMMENDED_DEC,
 * scored by its own clusters, by k-means on the fine-tuned codes and by the pipeline on them):
 * ACC, NMI, ARI, the test BCE of the model whose codes are clustered, and seconds.
 *
 *   npm run bench:clustering [-- --runs-dir runs] [--arch <name> ...] [--no-umap]
 *                            [--gmm-max-dim 16] [--all-images] [--fashion] [--context 20000]
 *
 * --gmm-max-dim d: the Gaussian mixture on the codes themselves only up to d-dimensional codes
 *   (default 16: full 64 × 64 covariances take over 15 minutes for 10,000 codes on 2 cores, and
 *   a row in the table says so);
 * --all-images: k-means on the codes of all 70,000 images (training, validation and test splits)
 *   of the recommended parent and of its fine-tuned model (IDEC fine-tunes on the training split
 *   only, so 50,000 of them were seen by the fine-tuning, without labels);
 * --fashion: the recommended path (parent, pipeline, IDEC) on Fashion-MNIST too, beside N2D's
 *   published 0.672;
 * --context n: for the recommended parent (and Fashion's) also the pipeline on the test codes
 *   clustered together with the codes of n training images (unlabelled; clusterCodes' `context`),
 *   scored on the test images only (default 20,000; 0 leaves the row out).
 *
 * Parent runs are trained when absent (ensureRun: reused when complete, never retrained) and so
 * are the fine-tuned runs (ensureDecRun), so a second call only clusters. Prints, asserts nothing.
 */
import * as fs from "node:fs";
import { ensureRun } from "../lib/apps/variants";
import { initBackend, describeBackend } from "../lib/backend/select";
import { resolveConfig, type ConfigOverrides } from "../lib/config";
import { clusterCodes, N2D_CODE_CLUSTERING } from "../lib/latent/cluster-codes";
import { loadOrEncodeCodes } from "../lib/runs/codes";
import { loadDataset, prepareDataset } from "../lib/data";
import {
  adjustedRandIndex,
  clusterAccuracy,
  normalizedMutualInfo,
} from "../lib/ml/cluster-metrics";
import { kmeans } from "../lib/ml/kmeans";
import { pixelsPerImage, type ImageSet } from "../lib/data/types";
import { loadRunModel, type LoadedRun } from "../lib/runs/run-folder";
import { encodeSet } from "../lib/model/inference";
import { terminalReporter } from "../lib/train/progress";
import { CLUSTERING_RUNS, ensureClusteringRuns } from "../lib/apps/clustering-runs";
import {
  ensureDecRun,
  RECOMMENDED_DEC,
  type ClusterScore,
  type DecMetrics,
} from "../lib/train/idec";

const SEED = 0;

/** The pipeline of the UMAP rows: N2D's (UMAP-10 → GMM), the best on the deep parent's codes. */
const BENCH_PIPELINE = N2D_CODE_CLUSTERING;

/** The parents compared. "reference" is the main job's run (the defaults). */
const ARCHITECTURES: Array<{
  name: string;
  label: string;
  /** null: the recommended clustering path (ensureClusteringRuns). */
  overrides: ConfigOverrides | null;
}> = [
  { name: "reference", label: "784-256-64 (default)", overrides: {} },
  { name: CLUSTERING_RUNS.parent, label: "784-500-500-2000-64 (recommended)", overrides: null },
  { name: "arch-code-10", label: "784-256-10", overrides: { model: { codeSize: 10 } } },
];

function loadAverage(): string {
  return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

function parseArgs(argv: string[]) {
  let runsDir = "runs";
  const only: string[] = [];
  let umap = true;
  let allImages = false;
  let gmmMaxDim = 16;
  let fashion = false;
  let context = 20000;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--runs-dir") runsDir = argv[++i];
    else if (arg === "--arch") only.push(argv[++i]);
    else if (arg === "--no-umap") umap = false;
    else if (arg === "--all-images") allImages = true;
    else if (arg === "--gmm-max-dim") gmmMaxDim = Number(argv[++i]);
    else if (arg === "--fashion") fashion = true;
    else if (arg === "--context") context = Number(argv[++i]);
    else
      throw new Error(`Unknown option ${arg}: see the comment at the top of bench/clustering.ts.`);
  }
  if (!Number.isInteger(gmmMaxDim)) throw new Error("--gmm-max-dim takes a whole number.");
  if (!Number.isInteger(context) || context < 0) throw new Error("--context takes a count >= 0.");
  return { runsDir, only, umap, allImages, gmmMaxDim, fashion, context };
}

interface Row {
  architecture: string;
  clustering: string;
  ACC: string;
  NMI: string;
  ARI: string;
  "test BCE": string;
  seconds: string;
}

function concat<T extends Float32Array | Uint8Array>(parts: T[]): T {
  const out = new (parts[0].constructor as new (n: number) => T)(
    parts.reduce((n, p) => n + p.length, 0),
  );
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function testBce(run: LoadedRun): number {
  return (run.metrics as { test: { model: { bce: number } } }).test.model.bce;
}

function scoreOf(labels: ArrayLike<number>, assignments: ArrayLike<number>): ClusterScore {
  return {
    accuracy: clusterAccuracy(labels, assignments).accuracy,
    nmi: normalizedMutualInfo(labels, assignments),
    ari: adjustedRandIndex(labels, assignments),
  };
}

async function main(argv: string[]): Promise<void> {
  const started = performance.now();
  const options = parseArgs(argv);
  const backend = await initBackend("auto");
  console.log(`bench:clustering on ${describeBackend(backend)}, load ${loadAverage()}`);
  const base = resolveConfig({ train: { runsDir: options.runsDir } });
  const rows: Row[] = [];
  const f = (x: number) => x.toFixed(3);
  const add = (
    architecture: string,
    clustering: string,
    s: ClusterScore | null,
    bce: number,
    sec: number,
  ) => {
    rows.push({
      architecture,
      clustering,
      ACC: s && Number.isFinite(s.accuracy) ? f(s.accuracy) : "–",
      NMI: s && Number.isFinite(s.nmi) ? f(s.nmi) : "–",
      ARI: s && Number.isFinite(s.ari) ? f(s.ari) : "–",
      "test BCE": Number.isFinite(bce) ? bce.toFixed(4) : "–",
      seconds: Number.isFinite(sec) ? sec.toFixed(0) : "–",
    });
    console.log(
      `  ${architecture} | ${clustering}: ACC ${s ? f(s.accuracy) : "–"}  [load ${loadAverage()}]`,
    );
  };
  const log = (name: string) => (line: string) => console.log(`  ${name}: ${line}`);

  /** The rows of one parent and its fine-tuning. */
  const benchmark = async (
    label: string,
    parent: LoadedRun,
    tuned: LoadedRun,
    extra: { gmm: boolean; allImages: boolean; context: boolean },
  ) => {
    const codes = await loadOrEncodeCodes(parent, "test");
    const common = { k: 10, seed: SEED, labels: codes.labels };
    const cluster = async (
      what: string,
      points: Float32Array,
      bce: number,
      settings: Parameters<typeof clusterCodes>[3],
    ) => {
      const r = await clusterCodes(points, codes.n, codes.dim, settings);
      const s = r.seconds;
      add(label, what, r.scores as ClusterScore, bce, s.normalize + s.embed + s.cluster);
    };
    const parentBce = testBce(parent);
    await cluster("k-means on codes", codes.codes, parentBce, { ...common, method: "kmeans" });
    if (extra.gmm && codes.dim <= options.gmmMaxDim) {
      await cluster("GMM on codes", codes.codes, parentBce, {
        ...common,
        method: "gmm",
        restarts: 3,
      });
    } else if (extra.gmm) {
      add(
        label,
        `GMM on codes: skipped (${codes.dim}-d full covariances take > 15 min on 2 cores; --gmm-max-dim ${codes.dim} runs it)`,
        null,
        parentBce,
        NaN,
      );
    }
    if (options.umap) {
      await cluster("UMAP → GMM on codes", codes.codes, parentBce, {
        ...common,
        ...BENCH_PIPELINE,
      });
    }
    if (options.umap && extra.context && options.context > 0) {
      const train = await loadOrEncodeCodes(parent, "train");
      const n = Math.min(options.context, train.n);
      const context = { codes: train.codes.subarray(0, n * train.dim), n };
      await cluster(`UMAP → GMM on codes, ${n} training codes as context`, codes.codes, parentBce, {
        ...common,
        ...BENCH_PIPELINE,
        context,
      });
    }
    const m = tuned.metrics as DecMetrics;
    const tunedBce = m.test.model.bce;
    const fineTuneSeconds = tuned.history.reduce((t, r) => t + r.epochSeconds, 0);
    add(
      label,
      `IDEC (${RECOMMENDED_DEC.init} start): its clusters`,
      m.clustering.test.dec,
      tunedBce,
      fineTuneSeconds,
    );
    add(label, "IDEC: k-means on fine-tuned codes", m.clustering.test.kmeans, tunedBce, NaN);
    if (options.umap) {
      const tunedCodes = await loadOrEncodeCodes(tuned, "test");
      await cluster("IDEC: UMAP → GMM on fine-tuned codes", tunedCodes.codes, tunedBce, {
        ...common,
        ...BENCH_PIPELINE,
      });
    }
    if (extra.allImages) {
      const { config } = parent;
      const data = prepareDataset(await loadDataset(config.data), config.data, config.seed);
      const all: ImageSet = {
        images: concat([data.train.images, data.validation.images, data.test.images]),
        labels: Uint8Array.from(
          concat([data.train.labels, data.validation.labels, data.test.labels]),
        ),
        count: data.train.count + data.validation.count + data.test.count,
      };
      for (const [what, run, bce] of [
        ["k-means on codes", parent, parentBce],
        ["IDEC: k-means on fine-tuned codes", tuned, tunedBce],
      ] as const) {
        const t = performance.now();
        const model = await loadRunModel(run);
        const points = encodeSet(model, all, pixelsPerImage(data.shape));
        model.dispose();
        const km = kmeans(points, all.count, points.length / all.count, { k: 10, seed: SEED });
        add(
          label,
          `${what}, all ${all.count} images`,
          scoreOf(all.labels, km.assignments),
          bce,
          (performance.now() - t) / 1000,
        );
      }
    }
  };

  for (const arch of ARCHITECTURES) {
    if (options.only.length > 0 && !options.only.includes(arch.name)) continue;
    let parent: LoadedRun;
    let tuned: LoadedRun;
    if (arch.overrides === null) {
      const ensured = await ensureClusteringRuns({
        base,
        reporter: terminalReporter(),
        log: log(CLUSTERING_RUNS.tuned),
      });
      parent = ensured.parent.run;
      tuned = ensured.tuned.run;
      console.log(
        `${arch.name}: ${ensured.parent.action} (${ensured.parent.seconds.toFixed(0)} s); ` +
          `${CLUSTERING_RUNS.tuned}: ${ensured.tuned.action} (${ensured.tuned.seconds.toFixed(0)} s)`,
      );
    } else {
      const ensured = await ensureRun(arch.name, arch.overrides, {
        base,
        reporter: terminalReporter(),
        variant: arch.name !== "reference",
      });
      parent = ensured.run;
      const ensuredTuned = await ensureDecRun(`${arch.name}-idec`, arch.name, RECOMMENDED_DEC, {
        runsDir: options.runsDir,
        log: log(`${arch.name}-idec`),
      });
      tuned = ensuredTuned.run;
      console.log(
        `${arch.name}: ${ensured.action} (${ensured.seconds.toFixed(0)} s); ` +
          `${arch.name}-idec: ${ensuredTuned.action} (${ensuredTuned.seconds.toFixed(0)} s)`,
      );
    }
    await benchmark(arch.label, parent, tuned, {
      gmm: true,
      allImages: options.allImages && arch.overrides === null,
      context: arch.overrides === null,
    });
  }
  if (options.fashion) {
    const names = { parent: "fashion-deep-64", tuned: "fashion-deep-64-idec" };
    const ensured = await ensureClusteringRuns({
      base,
      overrides: { data: { dataset: "fashion-mnist" } },
      names,
      reporter: terminalReporter(),
      log: log(names.tuned),
    });
    const label = "Fashion-MNIST, 784-500-500-2000-64";
    await benchmark(label, ensured.parent.run, ensured.tuned.run, {
      gmm: false,
      allImages: false,
      context: true,
    });
    add(
      label,
      "N2D, published (all 70,000 images)",
      { accuracy: 0.672, nmi: 0.684, ari: NaN },
      NaN,
      NaN,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `\nClustering the 10,000 test images (k = 10, seed ${SEED}; pipeline ${JSON.stringify(BENCH_PIPELINE)}; ` +
      `seconds: wall clock; load at the end ${loadAverage()}; ${seconds.toFixed(0)} s in all)`,
  );
  console.table(rows);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
