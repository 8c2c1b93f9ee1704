/**
 * Data-parallel training on several cores: tfjs' wasm backend runs on one thread in Node, so a
 * second core only helps through a second thread with its own backend (node:worker_threads).
 *
 * Layout: the main thread is shard 0 and trains the caller's own model in place; each worker is
 * one more shard with a replica. A step splits the batch into contiguous shards; every shard
 * computes the gradient of its rows (scaled by rows/batch, so the shards' gradients sum to the
 * full batch's) into shared memory; after a barrier the shards are summed in index order and
 * applied with Adam, in one of two ways (ParallelTrainerOptions.update):
 * - "split" (default): Adam in plain JS on weights and moments in shared memory, each thread
 *   updating its own range of the parameters, a second barrier, then every thread copies the new
 *   weights into its variables. The main optimizer's moments are written only by syncTo() (and
 *   dispose()): call it before anything reads the optimizer, e.g. an end-of-epoch checkpoint.
 * - "replicated": every thread applies tfjs' Adam to the summed gradient; same inputs, same
 *   order, same wasm code, so the replicas stay equal bit for bit and the main optimizer is
 *   always current.
 * The main model's weights are current after every step in both modes.
 *
 * Determinism: same seed, backend and worker count give the same losses, and a trainer made from
 * a synced model + optimizer continues exactly like an uninterrupted one. With workers: 0 and the
 * replicated update a step equals createTrainStep's bit for bit; otherwise sums and the JS Adam
 * round differently, so losses follow the single-thread run closely, not bit for bit. A denoising
 * model draws each shard's noise from deriveSeed(noiseSeed, shard) (shard 0 uses noiseSeed).
 *
 * The main thread blocks in Atomics.wait while workers compute: a step is synchronous, like
 * createTrainStep. A worker failure surfaces as a ParallelTrainingError, never a hang. Each worker
 * costs ~150 MB (its own tfjs + wasm heap) and ~1 s to start. Speed: bench/parallel-speed.ts.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config";
import { AutoencoderLabError } from "../errors";
import type { ImageShape } from "../data/types";
import { pixelsPerImage } from "../data/types";
import type { Autoencoder } from "../model/autoencoder";
import {
  Command,
  controlBytes,
  controlViews,
  Flag,
  threadSchedStat,
  updateRange,
  Value,
  type UpdateMode,
  type WorkerInit,
} from "./parallel-protocol";
import {
  adamUpdateRange,
  createShardReplica,
  nextBetaPower,
  writeAdamState,
  flatLayout,
  readAdamState,
  type AdamLike,
  type AdamState,
  type ShardReplica,
} from "./parallel-shard";
import { deriveSeed } from "../random";

export type { UpdateMode } from "./parallel-protocol";

/** A worker failed, did not answer in time, or the trainer was used after a failure. */
export class ParallelTrainingError extends AutoencoderLabError {}

export interface ParallelTrainerOptions {
  /** The main thread's model: shard 0 trains it in place. */
  model: Autoencoder;
  /** Its optimizer: a tfjs Adam (its moments may already exist, e.g. after a resume). */
  optimizer: tf.Optimizer;
  /** model.* (architecture and noise) and train.loss are used. */
  config: ExperimentConfig;
  /** Image shape the model was built for. */
  shape: ImageShape;
  /** Worker threads besides the main thread (default 1: two shards on a 2-core machine). 0 runs everything on the main thread. */
  workers?: number;
  /** Largest batch step() will get (default config.train.batchSize). */
  maxBatchSize?: number;
  /**
   * How the summed gradient is applied (default "split"): "replicated" runs tfjs' Adam on every
   * thread; "split" runs Adam in plain JS on shared memory, each thread taking a range of the
   * parameters, and keeps the main optimizer's moments current only at syncTo().
   */
  update?: UpdateMode;
  /**
   * Record per-step thread CPU and run-queue times in timings() (Linux; reads /proc twice a step
   * on each thread). For benchmarks. Default false.
   */
  profile?: boolean;
  /** Tests only: the first worker throws during this step (1-based), or exits its thread. */
  failAtStep?: number;
  failByExit?: boolean;
  /** How long the main thread waits for a worker before giving up (default 120000 ms). */
  timeoutMs?: number;
}

/** Mean milliseconds per step since the last reset. */
export interface ParallelTimings {
  steps: number;
  /** Main thread: copying worker rows into shared memory. */
  copyMs: number;
  /** Main thread: its own shard's forward + backward. */
  computeMs: number;
  /** Main thread: waiting for the workers' gradients (the barrier). */
  waitMs: number;
  /** Main thread: summing the shards and applying Adam. */
  applyMs: number;
  /** Main thread: waiting, at the start of a step, for the workers to finish the previous one. */
  drainMs: number;
  /** Main thread (split update): waiting for the other threads' Adam ranges, copying weights in. */
  adamWaitMs: number;
  copyInMs: number;
  /** Worker 1 (the first worker): forward + backward, waiting for the other shards, sum + Adam. */
  workerComputeMs: number;
  workerWaitMs: number;
  workerApplyMs: number;
  /**
   * With profile: on-CPU and run-queue (ready, but another process had the core) milliseconds
   * per step of the main thread and of the first worker; NaN without profile or off Linux.
   */
  mainCpuMs: number;
  mainRunqueueMs: number;
  workerCpuMs: number;
  workerRunqueueMs: number;
}

export interface ParallelTrainer {
  /** Threads taking part (workers + 1). */
  readonly shards: number;
  /** Trainable values in the model. */
  readonly parameterCount: number;
  readonly update: UpdateMode;
  /**
   * One optimiser step on `count` clean images, row-major in `rows` ([count, pixels]); returns
   * the batch's mean loss. The learning rate is read from the main optimizer's learningRate
   * field at each step (the training loop's schedule sets it there). Synchronous.
   */
  step(rows: Float32Array, count: number, noiseSeed: number): number;
  /**
   * Bring `optimizer` (default: the main one) up to date with the training state: with the
   * split update the main optimizer's Adam moments are only written here, so call it before
   * anything reads the optimizer (checkpoints at epoch end). The main model is always current.
   */
  syncTo(optimizer?: tf.Optimizer): Promise<void>;
  /**
   * Make the workers copy the weights and Adam state of `model` and `optimizer`, which become
   * shard 0 (after a resume or any change made outside step()). Defaults: the current ones.
   */
  loadFrom(model?: Autoencoder, optimizer?: tf.Optimizer): Promise<void>;
  /** A worker's replica (shard ≥ 1): weights and Adam state in the flat layout (tests, checks). */
  replicaState(shard: number): { weights: Float32Array; adam: AdamState };
  /** Worker threads that have not exited (0 after dispose). */
  workersRunning(): number;
  timings(): ParallelTimings;
  resetTimings(): void;
  /**
   * Sync the main optimizer (as syncTo), then stop and terminate the workers. Safe to call
   * twice; the trainer is unusable afterwards.
   */
  dispose(): Promise<void>;
}

interface WorkerHandle {
  worker: Worker;
  flags: Int32Array;
  values: Float64Array;
  error: Uint8Array;
  batch: Float32Array;
  exited: string | null;
}

const WAIT_SLICE_MS = 200;

/** The worker script next to this file: .ts under ts-node, .js from dist/. */
function workerEntry(): { file: string; execArgv: string[] } {
  const fromTs = __filename.endsWith(".ts");
  return {
    file: path.join(__dirname, fromTs ? "parallel-worker.ts" : "parallel-worker.js"),
    execArgv: fromTs ? ["--require", "ts-node/register/transpile-only"] : [],
  };
}

function adamScalars(optimizer: tf.Optimizer) {
  const adam = optimizer as AdamLike;
  return {
    learningRate: adam.learningRate,
    beta1: adam.beta1,
    beta2: adam.beta2,
    epsilon: adam.epsilon,
  };
}

/**
 * Copy the images `order[start..end)` of a flat [count, pixels] array into `out` (reused across
 * batches: no allocation per step) and return how many rows were copied. trainer.ts' gatherRows
 * builds its batch tensors on it.
 */
export function gatherRowsInto(
  images: Float32Array,
  pixels: number,
  order: ArrayLike<number>,
  start: number,
  end: number,
  out: Float32Array,
): number {
  const rows = end - start;
  if (out.length < rows * pixels) {
    throw new ParallelTrainingError(
      `gatherRowsInto: the output holds ${out.length} values, ${rows} rows need ${rows * pixels}.`,
    );
  }
  for (let r = 0; r < rows; r++) {
    const from = order[start + r] * pixels;
    out.set(images.subarray(from, from + pixels), r * pixels);
  }
  return rows;
}

/** Rows of each shard: as even as possible, the first shards taking the remainder. */
export function shardSizes(count: number, shards: number): number[] {
  const base = Math.floor(count / shards);
  const extra = count % shards;
  return Array.from({ length: shards }, (_, s) => base + (s < extra ? 1 : 0));
}

/**
 * Start the workers (each loads its own backend, the one running here) and copy the model's
 * weights and the optimizer's state into them. Resolves when all are ready.
 */
export async function createParallelTrainer(
  options: ParallelTrainerOptions,
): Promise<ParallelTrainer> {
  const { config, shape } = options;
  let model = options.model;
  let optimizer = options.optimizer;
  const workerCount = options.workers ?? 1;
  const update: UpdateMode = options.update ?? "split";
  const maxRows = options.maxBatchSize ?? config.train.batchSize;
  const timeoutMs = options.timeoutMs ?? 120_000;
  if (!Number.isInteger(workerCount) || workerCount < 0) {
    throw new ParallelTrainingError(
      `workers must be a whole number ≥ 0, got ${workerCount}: use 1 on a 2-core machine.`,
    );
  }
  if (optimizer.getClassName() !== "Adam") {
    throw new ParallelTrainingError(
      `Parallel training supports the Adam optimizer only, got ${optimizer.getClassName()}.`,
    );
  }
  const pixels = pixelsPerImage(shape);
  const shards = workerCount + 1;
  const layout = flatLayout(model);
  const makeReplica = () =>
    createShardReplica(model, optimizer, config.train.loss, config.model.noise, pixels);
  let replica: ShardReplica = makeReplica();
  const n = replica.parameterCount;
  const gradBuffers = Array.from(
    { length: shards },
    () => new SharedArrayBuffer(n * Float32Array.BYTES_PER_ELEMENT),
  );
  const grads = gradBuffers.map((b) => new Float32Array(b));
  const stateBuffer = new SharedArrayBuffer(3 * n * Float32Array.BYTES_PER_ELEMENT);
  const state = new Float32Array(stateBuffer);
  const liveBuffer = new SharedArrayBuffer(3 * n * Float32Array.BYTES_PER_ELEMENT);
  const live = new Float32Array(liveBuffer);
  const liveWeights = live.subarray(0, n);
  const liveM = live.subarray(n, 2 * n);
  const liveV = live.subarray(2 * n, 3 * n);
  const [rangeStart, rangeEnd] = updateRange(0, shards, n);
  const scalars = adamScalars(optimizer);
  // Split update: Adam's scalar state, kept here (the tfjs optimizer's copy is written by syncTo).
  let iterations = 0;
  let accBeta1 = Math.fround(scalars.beta1);
  let accBeta2 = Math.fround(scalars.beta2);
  const backend = tf.getBackend();
  const entry = workerEntry();

  const handles: WorkerHandle[] = [];
  let broken: string | null = null;
  let disposed = false;
  let seq = 0;
  const totals = {
    steps: 0,
    copyMs: 0,
    computeMs: 0,
    waitMs: 0,
    applyMs: 0,
    drainMs: 0,
    adamWaitMs: 0,
    copyInMs: 0,
    workerComputeMs: 0,
    workerWaitMs: 0,
    workerApplyMs: 0,
    mainCpuMs: 0,
    mainRunqueueMs: 0,
    workerCpuMs: 0,
    workerRunqueueMs: 0,
  };
  const profile = options.profile ?? false;

  const startWorker = (shard: number): Promise<WorkerHandle> => {
    const control = new SharedArrayBuffer(controlBytes());
    const batch = new SharedArrayBuffer(Math.max(1, maxRows * pixels) * 4);
    const init: WorkerInit = {
      shard,
      shardCount: shards,
      backend,
      model: config.model,
      loss: config.train.loss,
      noise: config.model.noise,
      shape,
      adam: scalars,
      maxRows,
      update,
      profile,
      failAtStep: shard === 1 ? (options.failAtStep ?? 0) : 0,
      failByExit: options.failByExit ?? false,
      live: liveBuffer,
      control,
      batch,
      grads: gradBuffers,
      state: stateBuffer,
    };
    const worker = new Worker(entry.file, { workerData: init, execArgv: entry.execArgv });
    const handle: WorkerHandle = {
      worker,
      ...controlViews(control),
      batch: new Float32Array(batch),
      exited: null,
    };
    handles.push(handle);
    worker.on("exit", (code) => {
      handle.exited = `worker ${shard} exited with code ${code}`;
    });
    return new Promise((resolve, reject) => {
      const fail = (why: string) =>
        reject(new ParallelTrainingError(`Training worker ${shard} failed to start: ${why}`));
      worker.once("error", (e) => fail(e.stack ?? e.message));
      worker.once("exit", (code) => fail(`it exited with code ${code}`));
      worker.on(
        "message",
        (message: {
          type: string;
          message?: string;
          parameterCount?: number;
          shapes?: number[][];
        }) => {
          if (message.type === "error") fail(message.message ?? "unknown error");
          else if (message.type === "ready") {
            if (JSON.stringify(message.shapes) !== JSON.stringify(layout.shapes)) {
              fail(
                `its model (built from config.model) has weight shapes ${JSON.stringify(message.shapes)}, ` +
                  `the main model ${JSON.stringify(layout.shapes)}: pass the config the model was built with.`,
              );
            } else resolve(handle);
          }
        },
      );
    });
  };

  const workerError = (h: WorkerHandle, index: number): string | null => {
    if (Atomics.load(h.flags, Flag.Status) === 1) {
      const text = new TextDecoder().decode(h.error.slice(0, h.flags[Flag.ErrorLength]));
      return `training worker ${index + 1} failed: ${text}`;
    }
    return h.exited;
  };

  const fail = (why: string): never => {
    broken = why;
    for (const h of handles) void h.worker.terminate();
    throw new ParallelTrainingError(
      `Parallel training stopped: ${why}. The main thread's model holds the last completed step; ` +
        `dispose this trainer and create a new one (or train with workers: 0).`,
    );
  };

  /** Block until every worker's `flag` reaches `target`, failing on a worker error or timeout. */
  const waitAll = (flag: Flag, target: number): void => {
    const started = performance.now();
    handles.forEach((h, index) => {
      for (;;) {
        const current = Atomics.load(h.flags, flag);
        const error = workerError(h, index);
        if (error !== null) fail(error);
        if (current >= target) break;
        if (performance.now() - started > timeoutMs) {
          fail(`training worker ${index + 1} did not answer within ${timeoutMs} ms`);
        }
        Atomics.wait(h.flags, flag, current, WAIT_SLICE_MS);
      }
    });
  };

  const send = (command: Command, perWorker?: (h: WorkerHandle, index: number) => void) => {
    seq++;
    handles.forEach((h, index) => {
      perWorker?.(h, index);
      Atomics.store(h.flags, Flag.Command, command);
      Atomics.store(h.flags, Flag.CommandSeq, seq);
      Atomics.notify(h.flags, Flag.CommandSeq);
    });
  };

  const usable = () => {
    if (disposed) throw new ParallelTrainingError("This parallel trainer was disposed.");
    if (broken !== null) {
      throw new ParallelTrainingError(
        `This parallel trainer stopped earlier (${broken}): create a new one.`,
      );
    }
  };

  const loadFrom = async (nextModel = model, nextOptimizer = optimizer): Promise<void> => {
    usable();
    if (nextOptimizer.getClassName() !== "Adam") {
      throw new ParallelTrainingError("Parallel training supports the Adam optimizer only.");
    }
    if (JSON.stringify(flatLayout(nextModel).shapes) !== JSON.stringify(layout.shapes)) {
      throw new ParallelTrainingError(
        "loadFrom: the model's weight shapes differ from the one this trainer was made for.",
      );
    }
    model = nextModel;
    optimizer = nextOptimizer;
    replica = makeReplica();
    waitAll(Flag.DoneSeq, seq);
    const adam = readAdamState(optimizer, n);
    replica.readWeights(state.subarray(0, n));
    if (adam.accumulators !== null) {
      state.set(adam.m, n);
      state.set(adam.v, 2 * n);
    } else state.fill(0, n);
    iterations = adam.iterations;
    [accBeta1, accBeta2] = adam.accumulators ?? [
      Math.fround(scalars.beta1),
      Math.fround(scalars.beta2),
    ];
    live.set(state);
    if (handles.length === 0) return;
    send(Command.Load, (h) => {
      h.values[Value.Iterations] = adam.iterations;
      h.values[Value.HasMoments] = adam.accumulators === null ? 0 : 1;
      h.values[Value.AccBeta1] = adam.accumulators?.[0] ?? 0;
      h.values[Value.AccBeta2] = adam.accumulators?.[1] ?? 0;
    });
    waitAll(Flag.DoneSeq, seq);
  };

  const syncTo = async (target = optimizer): Promise<void> => {
    usable();
    waitAll(Flag.DoneSeq, seq);
    if (update === "replicated") {
      if (target !== optimizer) {
        await writeAdamState(target, layout.shapes, readAdamState(optimizer, n));
      }
      return;
    }
    await writeAdamState(target, layout.shapes, {
      iterations,
      accumulators: iterations === 0 ? null : [accBeta1, accBeta2],
      m: liveM,
      v: liveV,
    });
  };

  try {
    await Promise.all(Array.from({ length: workerCount }, (_, i) => startWorker(i + 1)));
    await loadFrom(model, optimizer);
  } catch (error) {
    await Promise.all(handles.map((h) => h.worker.terminate()));
    throw error;
  }

  const trainer: ParallelTrainer = {
    shards,
    parameterCount: n,
    step(rows, count, noiseSeed) {
      usable();
      if (!Number.isInteger(count) || count < 1 || count > maxRows) {
        throw new ParallelTrainingError(
          `step: count must be 1..${maxRows} (maxBatchSize), got ${count}.`,
        );
      }
      if (rows.length < count * pixels) {
        throw new ParallelTrainingError(
          `step: rows holds ${rows.length} values, ${count} images need ${count * pixels}.`,
        );
      }
      const sched0 = profile ? threadSchedStat() : null;
      const t0 = performance.now();
      waitAll(Flag.DoneSeq, seq);
      if (seq > 0 && handles.length > 0 && totals.steps > 0) {
        const v = handles[0].values;
        totals.workerComputeMs += v[Value.ComputeMs];
        totals.workerWaitMs += v[Value.WaitMs];
        totals.workerApplyMs += v[Value.ApplyMs];
        totals.workerCpuMs += v[Value.CpuMs];
        totals.workerRunqueueMs += v[Value.RunqueueMs];
      }
      const t1 = performance.now();
      const sizes = shardSizes(count, shards);
      const learningRate = (optimizer as AdamLike).learningRate;
      let offset = sizes[0];
      send(Command.Step, (h, index) => {
        const rowsHere = sizes[index + 1];
        h.batch.set(rows.subarray(offset * pixels, (offset + rowsHere) * pixels));
        offset += rowsHere;
        h.flags[Flag.Rows] = rowsHere;
        h.flags[Flag.BatchRows] = count;
        h.values[Value.LearningRate] = learningRate;
        h.values[Value.NoiseSeed] = deriveSeed(noiseSeed, index + 1);
        h.values[Value.AccBeta1] = accBeta1;
        h.values[Value.AccBeta2] = accBeta2;
      });
      const t2 = performance.now();
      let loss: number;
      try {
        loss = replica.computeGradients(rows, sizes[0], count, noiseSeed, grads[0]);
      } catch (error) {
        return fail(`the main thread's shard failed: ${(error as Error).message}`);
      }
      const t3 = performance.now();
      waitAll(Flag.GradsSeq, seq);
      for (const h of handles) {
        Atomics.store(h.flags, Flag.AllGradsSeq, seq);
        Atomics.notify(h.flags, Flag.AllGradsSeq);
      }
      const t4 = performance.now();
      for (const h of handles) loss += h.values[Value.Loss];
      let t5 = t4;
      let t6 = t4;
      if (update === "replicated") {
        replica.applySummed(grads, learningRate);
        t5 = t6 = performance.now();
      } else {
        adamUpdateRange(
          liveWeights,
          liveM,
          liveV,
          grads,
          rangeStart,
          rangeEnd,
          { ...scalars, learningRate },
          accBeta1,
          accBeta2,
        );
        t5 = performance.now();
        waitAll(Flag.AdamSeq, seq);
        for (const h of handles) {
          Atomics.store(h.flags, Flag.AllAdamSeq, seq);
          Atomics.notify(h.flags, Flag.AllAdamSeq);
        }
        t6 = performance.now();
        replica.writeWeights(liveWeights);
        accBeta1 = nextBetaPower(accBeta1, scalars.beta1);
        accBeta2 = nextBetaPower(accBeta2, scalars.beta2);
        iterations++;
      }
      const t7 = performance.now();
      totals.steps++;
      totals.drainMs += t1 - t0;
      totals.copyMs += t2 - t1;
      totals.computeMs += t3 - t2;
      totals.waitMs += t4 - t3;
      totals.applyMs += t5 - t4;
      totals.adamWaitMs += t6 - t5;
      totals.copyInMs += t7 - t6;
      const sched1 = sched0 ? threadSchedStat() : null;
      if (sched0 && sched1) {
        totals.mainCpuMs += sched1[0] - sched0[0];
        totals.mainRunqueueMs += sched1[1] - sched0[1];
      }
      return loss;
    },
    update,
    loadFrom,
    syncTo,
    replicaState(shard) {
      usable();
      if (!Number.isInteger(shard) || shard < 1 || shard > handles.length) {
        throw new ParallelTrainingError(
          `replicaState: shard must be 1..${handles.length}, got ${shard}.`,
        );
      }
      waitAll(Flag.DoneSeq, seq);
      // Every worker gets the command (sequence numbers stay in step); only the one asked
      // writes the shared state buffer.
      send(Command.Read, (h, index) => {
        h.flags[Flag.Rows] = index + 1 === shard ? 1 : 0;
      });
      waitAll(Flag.DoneSeq, seq);
      const v = handles[shard - 1].values;
      if (update === "split") {
        // The worker keeps no Adam state of its own: it is the shared one.
        return {
          weights: state.slice(0, n),
          adam: {
            iterations,
            accumulators: iterations === 0 ? null : [accBeta1, accBeta2],
            m: liveM.slice(),
            v: liveV.slice(),
          },
        };
      }
      const hasMoments = v[Value.HasMoments] === 1;
      return {
        weights: state.slice(0, n),
        adam: {
          iterations: v[Value.Iterations],
          accumulators: hasMoments ? [v[Value.AccBeta1], v[Value.AccBeta2]] : null,
          m: hasMoments ? state.slice(n, 2 * n) : new Float32Array(0),
          v: hasMoments ? state.slice(2 * n, 3 * n) : new Float32Array(0),
        },
      };
    },
    workersRunning: () => handles.filter((h) => h.exited === null).length,
    timings() {
      const s = Math.max(1, totals.steps);
      const workerSteps = Math.max(1, totals.steps - 1);
      return {
        steps: totals.steps,
        copyMs: totals.copyMs / s,
        computeMs: totals.computeMs / s,
        waitMs: totals.waitMs / s,
        applyMs: totals.applyMs / s,
        drainMs: totals.drainMs / s,
        adamWaitMs: totals.adamWaitMs / s,
        copyInMs: totals.copyInMs / s,
        workerComputeMs: totals.workerComputeMs / workerSteps,
        workerWaitMs: totals.workerWaitMs / workerSteps,
        workerApplyMs: totals.workerApplyMs / workerSteps,
        mainCpuMs: profile ? totals.mainCpuMs / s : NaN,
        mainRunqueueMs: profile ? totals.mainRunqueueMs / s : NaN,
        workerCpuMs: profile ? totals.workerCpuMs / workerSteps : NaN,
        workerRunqueueMs: profile ? totals.workerRunqueueMs / workerSteps : NaN,
      };
    },
    resetTimings() {
      for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] = 0;
    },
    async dispose() {
      if (disposed) return;
      if (broken === null) {
        try {
          // Leave the main optimizer consistent with the main model (split update).
          await syncTo();
        } catch {
          // A broken trainer: the optimizer keeps its last synced state.
        }
      }
      disposed = true;
      if (broken === null) {
        try {
          waitAll(Flag.DoneSeq, seq);
          send(Command.Stop);
          waitAll(Flag.DoneSeq, seq);
        } catch {
          // Terminated below either way.
        }
      }
      await Promise.all(handles.map((h) => h.worker.terminate()));
    },
  };
  return trainer;
}
