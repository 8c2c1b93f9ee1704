/**
 * Which architecture clusters best? One table: for each autoencoder (the default 784-256-64, a
 * deeper 500-500-2000 encoder with a 64-d code, a 10-d code as in the DEC papers) × each way of
 * clustering its 10,000 MNIST test codes (k-means, a Gaussian mixture, standardise → UMAP-2 →
 * GMM, and DEC/IDEC fine-tuning with RECOMMENDED_DEC, scored by its own clusters, by k-means on
 * the fine-tuned codes and by UMAP → GMM on them): ACC, NMI, ARI and seconds.
 *
 *   npm run bench:clustering [-- --runs-dir runs] [--arch reference] [--no-umap] [--no-gmm] [--all-images]
 *
 * --all-images adds k-means on the codes of all 70,000 images (training, validation and test
 * splits) of the parent and of the fine-tuned model (IDEC fine-tunes on the training split only).
 *
 * Parent runs are trained when absent (ensureRun: reused when complete, never retrained) and so
 * are the fine-tuned runs (ensureDecRun), so a second call only clusters. Prints, asserts nothing.
 */
import * as fs from "node:fs";
import { ensureRun } from "../lib/apps/variants";
import { initBackend, describeBackend } from "../lib/backend/select";
import { resolveConfig, type ConfigOverrides } from "../lib/config";
import { clusterCodes, RECOMMENDED_CODE_CLUSTERING } from "../lib/latent/cluster-codes";
import { loadOrEncodeCodes } from "../lib/runs/codes";
import { loadDataset, prepareDataset } from "../lib/data";
import {
  adjustedRandIndex,
  clusterAccuracy,
  normalizedMutualInfo,
} from "../lib/ml/cluster-metrics";
import { kmeans } from "../lib/ml/kmeans";
import { pixelsPerImage, type ImageSet } from "../lib/data/types";
import { loadRunModel } from "../lib/runs/run-folder";
import { encodeSet } from "../lib/model/inference";
import { terminalReporter } from "../lib/train/progress";
import {
  ensureDecRun,
  RECOMMENDED_DEC,
  type ClusterScore,
  type DecMetrics,
} from "../lib/train/idec";

const SEED = 0;

/** The parents compared. "reference" is the main job's run (the defaults). */
const ARCHITECTURES: Array<{ name: string; label: string; overrides: ConfigOverrides }> = [
  { name: "reference", label: "784-256-64 (default)", overrides: {} },
  {
    name: "arch-deep-64",
    label: "784-500-500-2000-64",
    overrides: { model: { hiddenSizes: [500, 500, 2000] }, train: { epochs: 10 } },
  },
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
  let gmm = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--runs-dir") runsDir = argv[++i];
    else if (arg === "--arch") only.push(argv[++i]);
    else if (arg === "--no-umap") umap = false;
    else if (arg === "--all-images") allImages = true;
    else if (arg === "--no-gmm") gmm = false;
    else
      throw new Error(`Unknown option ${arg}: see the comment at the top of bench/clustering.ts.`);
  }
  return { runsDir, only, umap, allImages, gmm };
}

interface Row {
  architecture: string;
  method: string;
  ACC: string;
  NMI: string;
  ARI: string;
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

async function main(argv: string[]): Promise<void> {
  const options = parseArgs(argv);
  const backend = await initBackend("auto");
  console.log(`bench:clustering on ${describeBackend(backend)}, load ${loadAverage()}`);
  const base = resolveConfig({ train: { runsDir: options.runsDir } });
  const rows: Row[] = [];
  const f = (x: number) => x.toFixed(3);
  const add = (architecture: string, method: string, s: ClusterScore, sec: number) => {
    rows.push({
      architecture,
      method,
      ACC: f(s.accuracy),
      NMI: f(s.nmi),
      ARI: f(s.ari),
      seconds: sec.toFixed(0),
    });
    console.log(`  ${architecture} | ${method}: ACC ${f(s.accuracy)}  [load ${loadAverage()}]`);
  };
  for (const arch of ARCHITECTURES) {
    if (options.only.length > 0 && !options.only.includes(arch.name)) continue;
    const parent = await ensureRun(arch.name, arch.overrides, {
      base,
      reporter: terminalReporter(),
      variant: arch.name !== "reference",
    });
    console.log(`${arch.name}: ${parent.action} (${parent.seconds.toFixed(0)} s)`);
    const codes = await loadOrEncodeCodes(parent.run, "test");
    const cluster = async (
      what: string,
      points: Float32Array,
      settings: Parameters<typeof clusterCodes>[3],
    ) => {
      const r = await clusterCodes(points, codes.n, codes.dim, settings);
      const s = r.seconds;
      add(arch.label, what, r.scores as ClusterScore, s.normalize + s.embed + s.cluster);
    };
    const common = { k: 10, seed: SEED, labels: codes.labels };
    await cluster("k-means on codes", codes.codes, { ...common, method: "kmeans" });
    if (options.gmm) {
      // Full covariances in the code's dimension: minutes for 64-d codes on a loaded machine.
      await cluster("GMM on codes", codes.codes, { ...common, method: "gmm", restarts: 3 });
    }
    if (options.umap) {
      await cluster("UMAP → GMM on codes", codes.codes, {
        ...common,
        ...RECOMMENDED_CODE_CLUSTERING,
      });
    }
    const tuned = await ensureDecRun(`${arch.name}-idec`, arch.name, RECOMMENDED_DEC, {
      runsDir: options.runsDir,
      log: (l) => console.log(`  ${arch.name}-idec: ${l}`),
    });
    const m = tuned.run.metrics as DecMetrics;
    const fineTuneSeconds = tuned.run.history.reduce((t, r) => t + r.epochSeconds, 0);
    add(
      arch.label,
      `IDEC (${RECOMMENDED_DEC.init} start): its clusters`,
      m.clustering.test.dec,
      fineTuneSeconds,
    );
    add(arch.label, "IDEC: k-means on fine-tuned codes", m.clustering.test.kmeans, 0);
    if (options.allImages) {
      const { config } = parent.run;
      const data = prepareDataset(await loadDataset(config.data), config.data, config.seed);
      const all: ImageSet = {
        images: concat([data.train.images, data.validation.images, data.test.images]),
        labels: Uint8Array.from(
          concat([data.train.labels, data.validation.labels, data.test.labels]),
        ),
        count: data.train.count + data.validation.count + data.test.count,
      };
      for (const [what, run] of [
        ["k-means on codes, all images", parent.run],
        ["IDEC: k-means on fine-tuned codes, all images", tuned.run],
      ] as const) {
        const started = performance.now();
        const model = await loadRunModel(run);
        const points = encodeSet(model, all, pixelsPerImage(data.shape));
        model.dispose();
        const km = kmeans(points, all.count, points.length / all.count, { k: 10, seed: SEED });
        const score = {
          accuracy: clusterAccuracy(all.labels, km.assignments).accuracy,
          nmi: normalizedMutualInfo(all.labels, km.assignments),
          ari: adjustedRandIndex(all.labels, km.assignments),
        };
        add(arch.label, `${what} (${all.count})`, score, (performance.now() - started) / 1000);
      }
    }
    if (options.umap) {
      const tunedCodes = await loadOrEncodeCodes(tuned.run, "test");
      await cluster("IDEC: UMAP → GMM on fine-tuned codes", tunedCodes.codes, {
        ...common,
        ...RECOMMENDED_CODE_CLUSTERING,
      });
    }
  }
  console.log(
    `\nClustering the ${"10,000"} MNIST test images (k = 10, seed ${SEED}; seconds: wall clock, load ${loadAverage()})`,
  );
  console.table(rows);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
