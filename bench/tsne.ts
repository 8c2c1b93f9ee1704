/**
 * t-SNE of the 10,000 MNIST test codes of a run (default runs/reference), or of the raw pixels.
 * Run: npm run bench:tsne -- [--n 10000] [--perplexity 30] [--iterations 1000] [--seed 0]
 *      [--theta 0.5] [--init pca|random] [--threads 1|2] [--run runs/reference] [--pixels]
 * Prints the time of each phase (CPU time too: the machine is shared), trustworthiness (k = 10)
 * of the embedding, leave-one-out 10-NN label accuracy in the embedding, KL, peak RSS and the
 * load average. Asserts nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultConfig } from "../lib/config";
import { loadDataset } from "../lib/data";
import { knnLabelAccuracy } from "../lib/ml/knn";
import { trustworthiness } from "../lib/ml/trustworthiness";
import { createTsneRun } from "../lib/ml/tsne";
import { openRun } from "../lib/runs/open-run";

interface Args {
  n: number;
  perplexity: number;
  iterations: number;
  seed: number;
  theta: number;
  run: string;
  pixels: boolean;
  init: "pca" | "random";
  threads: 1 | 2;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    n: 10000,
    perplexity: 30,
    iterations: 1000,
    seed: 0,
    theta: 0.5,
    run: "runs/reference",
    pixels: false,
    init: "pca",
    threads: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--pixels") {
      args.pixels = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--run") args.run = value;
    else if (flag === "--n") args.n = Number(value);
    else if (flag === "--perplexity") args.perplexity = Number(value);
    else if (flag === "--iterations") args.iterations = Number(value);
    else if (flag === "--seed") args.seed = Number(value);
    else if (flag === "--theta") args.theta = Number(value);
    else if (flag === "--init" && (value === "pca" || value === "random")) args.init = value;
    else if (flag === "--threads" && (value === "1" || value === "2"))
      args.threads = Number(value) as 1 | 2;
    else {
      throw new Error(
        `unknown flag ${flag} ${value}: use --n, --perplexity, --iterations, --seed, --theta, --init pca|random, --threads 1|2, --run, --pixels`,
      );
    }
  }
  return args;
}

const loadAverage = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

async function loadPoints(
  args: Args,
): Promise<{ points: Float32Array; labels: Uint8Array; total: number; dim: number; what: string }> {
  if (args.pixels) {
    const dataset = await loadDataset(defaultConfig().data);
    const dim = dataset.test.images.length / dataset.test.count;
    return {
      points: dataset.test.images,
      labels: dataset.test.labels,
      total: dataset.test.count,
      dim,
      what: `MNIST test pixels (${dim}-d)`,
    };
  }
  const codes = await openRun(path.resolve(args.run)).codes("test");
  return {
    points: codes.codes,
    labels: codes.labels,
    total: codes.n,
    dim: codes.dim,
    what: `test codes of ${args.run} (${codes.dim}-d, ${codes.source})`,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const loaded = await loadPoints(args);
  const n = Math.min(args.n, loaded.total);
  const dim = loaded.dim;
  const points = loaded.points.subarray(0, n * dim);
  const labels = loaded.labels.subarray(0, n);
  console.log(
    `t-SNE of ${n} ${loaded.what}: perplexity ${args.perplexity}, ${args.iterations} iterations, θ ${args.theta}, init ${args.init}, seed ${args.seed}, threads ${args.threads}`,
  );
  console.log(`load average before: ${loadAverage()}`);

  const wall0 = performance.now();
  const cpu0 = cpuSeconds();
  const run = createTsneRun(points, n, dim, {
    perplexity: args.perplexity,
    iterations: args.iterations,
    theta: args.theta,
    seed: args.seed,
    init: args.init,
    threads: args.threads,
    onProgress: (iteration, kl) => {
      if (iteration % 250 === 0 || iteration === args.iterations) {
        const s = ((performance.now() - wall0) / 1000).toFixed(1);
        console.log(`  iteration ${String(iteration).padStart(4)}  KL ${kl.toFixed(4)}  ${s} s`);
      }
    },
  });
  console.log(`  repulsion on ${run.threads} thread(s)`);
  while (run.step()) {
    /* iterate */
  }
  const result = run.result();
  const wall = (performance.now() - wall0) / 1000;
  const cpu = cpuSeconds() - cpu0;
  const t = result.timings;
  console.log(
    `time: ${wall.toFixed(1)} s wall (kNN ${t.neighborsSeconds.toFixed(1)} s, affinities ${t.affinitiesSeconds.toFixed(2)} s, optimisation ${t.optimizeSeconds.toFixed(1)} s), ${cpu.toFixed(1)} s CPU`,
  );
  console.log(`final KL: ${result.kl.toFixed(4)}`);

  const m0 = performance.now();
  const trust = trustworthiness(points, result.embedding, n, dim, 2, 10);
  const accuracy = knnLabelAccuracy(result.embedding, n, 2, labels, 10);
  const accuracyInput = knnLabelAccuracy(points, n, dim, labels, 10);
  console.log(
    `trustworthiness (k=10): ${trust.toFixed(4)}; 10-NN label accuracy: embedding ${(100 * accuracy).toFixed(2)}%, input ${(100 * accuracyInput).toFixed(2)}% (metrics ${((performance.now() - m0) / 1000).toFixed(1)} s)`,
  );
  console.log(
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load average after: ${loadAverage()}; node ${process.version}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
