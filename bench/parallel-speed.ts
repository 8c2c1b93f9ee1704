/**
 * Both cores for training, printed (never asserted): samples/s of the single-thread step
 * (createTrainStep) against the data-parallel trainer (lib/train/parallel.ts) on real MNIST
 * batches, the parallel step's time breakdown, and the BCE loss curve of both from the same
 * initial weights.
 *
 *   npx ts-node --transpile-only bench/parallel-speed.ts
 *   npx ts-node --transpile-only bench/parallel-speed.ts --batch 256 --steps 60 --rounds 5 --curve-steps 300
 *
 * Engines are timed in interleaved rounds (A B C D, A B C D, …) so that load from other
 * processes on the machine hits them alike; each figure is printed as median [min–max] over
 * rounds. "cpu" is the process's CPU seconds per wall second during the round (2.0 = both cores
 * were ours): below that, other processes took the difference.
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend/select";
import { resolveConfig } from "../lib/config";
import { loadDataset, prepareDataset } from "../lib/data";
import { pixelsPerImage } from "../lib/data/types";
import { buildAutoencoder } from "../lib/model/autoencoder";
import { createRng, permutation } from "../lib/random";
import {
  createParallelTrainer,
  type ParallelTimings,
  type ParallelTrainer,
} from "../lib/train/parallel";
import { threadSchedStat, type UpdateMode } from "../lib/train/parallel-protocol";
import { createOptimizer, createTrainStep } from "../lib/train/trainer";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const BATCH = flag("batch", 256);
const STEPS = flag("steps", 60);
const ROUNDS = flag("rounds", 5);
const CURVE_STEPS = flag("curve-steps", 300);
const WARMUP = 5;

interface Engine {
  name: string;
  /** One step on rows [BATCH, pixels]. */
  step(rows: Float32Array, noiseSeed: number): number;
  parallel?: ParallelTrainer;
  rates: number[];
  cpu: number[];
  /** Samples/s if the busiest thread's CPU time per step were the step time (no contention). */
  estimates: number[];
  /** Per step: on-CPU ms of the busiest thread, run-queue ms of the main thread. */
  busiestCpuMs: number[];
  runqueueMs: number[];
  timings: ParallelTimings[];
  dispose(): Promise<void>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs: number[], digits = 0) =>
  `${median(xs).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}]`;

async function main(): Promise<void> {
  const info = await initBackend("wasm");
  const config = resolveConfig({ train: { batchSize: BATCH } });
  const data = prepareDataset(await loadDataset(config.data), config.data, config.seed);
  const pixels = pixelsPerImage(data.shape);
  const order = permutation(data.train.count, createRng(1));
  const batches = Math.floor(data.train.count / BATCH);
  const batchRows = (b: number): Float32Array => {
    const start = (b % batches) * BATCH;
    const rows = new Float32Array(BATCH * pixels);
    for (let r = 0; r < BATCH; r++) {
      const from = order[start + r] * pixels;
      rows.set(data.train.images.subarray(from, from + pixels), r * pixels);
    }
    return rows;
  };

  const singleEngine = (): Engine => {
    const model = buildAutoencoder(config.model, data.shape, config.seed);
    const optimizer = createOptimizer(config);
    const step = createTrainStep(model, config, optimizer);
    return {
      name: "single thread (createTrainStep)",
      step: (rows, seed) => {
        const x = tf.tensor2d(rows, [BATCH, pixels]);
        const loss = step(x, seed);
        x.dispose();
        return loss;
      },
      rates: [],
      cpu: [],
      estimates: [],
      busiestCpuMs: [],
      runqueueMs: [],
      timings: [],
      dispose: async () => {
        model.dispose();
        optimizer.dispose();
      },
    };
  };
  const parallelEngine = async (workers: number, update: UpdateMode): Promise<Engine> => {
    const model = buildAutoencoder(config.model, data.shape, config.seed);
    const optimizer = createOptimizer(config);
    const parallel = await createParallelTrainer({
      model,
      optimizer,
      config,
      shape: data.shape,
      workers,
      update,
      profile: true,
    });
    return {
      name: `parallel workers=${workers} update=${update}`,
      step: (rows, seed) => parallel.step(rows, BATCH, seed),
      parallel,
      rates: [],
      cpu: [],
      estimates: [],
      busiestCpuMs: [],
      runqueueMs: [],
      timings: [],
      dispose: async () => {
        await parallel.dispose();
        model.dispose();
        optimizer.dispose();
      },
    };
  };

  console.log(
    `backend ${info.name}, ${os.cpus().length} cores, batch ${BATCH}, ${STEPS} steps × ${ROUNDS} rounds; ` +
      `load average at start ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
  );
  const engines: Engine[] = [
    singleEngine(),
    await parallelEngine(0, "split"),
    await parallelEngine(1, "replicated"),
    await parallelEngine(1, "split"),
  ];
  const prepared = Array.from({ length: 8 }, (_, b) => batchRows(b));
  for (const engine of engines) {
    for (let i = 0; i < WARMUP; i++) engine.step(prepared[i % 8], i);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const engine of engines) {
      engine.parallel?.resetTimings();
      const cpu0 = process.cpuUsage();
      const sched0 = threadSchedStat() ?? [NaN, NaN];
      const t0 = performance.now();
      for (let i = 0; i < STEPS; i++) engine.step(prepared[i % 8], i);
      const seconds = (performance.now() - t0) / 1000;
      const sched1 = threadSchedStat() ?? [NaN, NaN];
      const cpu = process.cpuUsage(cpu0);
      engine.rates.push((STEPS * BATCH) / seconds);
      engine.cpu.push((cpu.user + cpu.system) / 1e6 / seconds);
      let busiest = (sched1[0] - sched0[0]) / STEPS;
      if (engine.parallel) {
        const t = engine.parallel.timings();
        engine.timings.push(t);
        if (engine.parallel.shards > 1) busiest = Math.max(t.mainCpuMs, t.workerCpuMs);
      }
      engine.busiestCpuMs.push(busiest);
      engine.runqueueMs.push((sched1[1] - sched0[1]) / STEPS);
      engine.estimates.push((BATCH * 1000) / busiest);
    }
  }
  const base = median(engines[0].rates);
  const baseEstimate = median(engines[0].estimates);
  console.log(
    "\nwall-clock samples/s, median [min–max] over rounds; ×: ratio of medians to the single thread;\n" +
      "cpu: process CPU s per wall s (2.00 = both cores ours); runq: ms per step the main thread was\n" +
      "ready but another process had the core",
  );
  for (const e of engines) {
    console.log(
      `  ${e.name.padEnd(38)} ${range(e.rates)}  ×${(median(e.rates) / base).toFixed(2)}  ` +
        `cpu ${range(e.cpu, 2)}  runq ${range(e.runqueueMs, 1)}`,
    );
  }
  console.log(
    "\nCPU-bound estimate (contention removed): samples/s if a step took the on-CPU time of its\n" +
      "busiest thread (barrier wake-ups ~0.1 ms not counted)",
  );
  for (const e of engines) {
    console.log(
      `  ${e.name.padEnd(38)} ${range(e.estimates)}  ×${(median(e.estimates) / baseEstimate).toFixed(2)}  ` +
        `busiest thread ${range(e.busiestCpuMs, 1)} ms CPU/step`,
    );
  }
  console.log("\nparallel step breakdown, ms per step (median over rounds)");
  for (const e of engines.filter((x) => x.timings.length > 0)) {
    const m = (key: keyof ParallelTimings) => median(e.timings.map((t) => t[key])).toFixed(2);
    console.log(
      `  ${e.name}: main: drain ${m("drainMs")} copy ${m("copyMs")} compute ${m("computeMs")} ` +
        `barrier ${m("waitMs")} adam ${m("applyMs")} adam-barrier ${m("adamWaitMs")} copy-in ${m("copyInMs")}` +
        ` cpu ${m("mainCpuMs")}` +
        (e.parallel && e.parallel.shards > 1
          ? ` | worker: compute ${m("workerComputeMs")} barrier ${m("workerWaitMs")} update ${m("workerApplyMs")} cpu ${m("workerCpuMs")}`
          : ""),
    );
  }
  for (const e of engines) await e.dispose();

  // Loss curves from the same initial weights and batches.
  if (CURVE_STEPS > 0) {
    const curve = async (make: () => Engine | Promise<Engine>) => {
      const engine = await make();
      const losses: number[] = [];
      for (let s = 0; s < CURVE_STEPS; s++) losses.push(engine.step(batchRows(s), s + 1));
      await engine.dispose();
      return losses;
    };
    const single = await curve(singleEngine);
    const jsAdam = await curve(() => parallelEngine(0, "split"));
    const split = await curve(() => parallelEngine(1, "split"));
    const splitAgain = await curve(() => parallelEngine(1, "split"));
    const replicated = await curve(() => parallelEngine(1, "replicated"));
    // Single-batch losses of two runs drift apart chaotically once rounding differs (even
    // workers=0 with the JS Adam does), so compare means over windows of 50 steps.
    const window = 50;
    const means = (a: number[]) =>
      Array.from({ length: Math.floor(a.length / window) }, (_, w) => {
        const part = a.slice(w * window, (w + 1) * window);
        return part.reduce((x, y) => x + y, 0) / part.length;
      });
    const singleMeans = means(single);
    const gap = (a: number[]) =>
      Math.max(...means(a).map((x, i) => Math.abs(x - singleMeans[i]) / singleMeans[i]));
    const show = (a: number[]) =>
      means(a)
        .map((x) => x.toFixed(5))
        .join(" ");
    console.log(
      `\nBCE loss over ${CURVE_STEPS} steps (batch ${BATCH}), mean of each ${window}-step window; ` +
        `gap: largest relative difference to the single thread`,
    );
    console.log(`  single thread      ${show(single)}`);
    console.log(`  workers=0 split    ${show(jsAdam)}  gap ${gap(jsAdam).toExponential(2)}`);
    console.log(`  workers=1 split    ${show(split)}  gap ${gap(split).toExponential(2)}`);
    console.log(
      `  workers=1 repl.    ${show(replicated)}  gap ${gap(replicated).toExponential(2)}`,
    );
    console.log(
      `  split run twice: ${split.every((x, i) => x === splitAgain[i]) ? "bit-identical" : "DIFFERENT"}`,
    );
  }
  console.log(
    `\npeak RSS of this process (main + workers): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
  console.log(
    `load average at end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
