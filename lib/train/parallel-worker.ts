/**
 * A training worker thread for lib/train/parallel.ts: its own tfjs backend and model replica,
 * driven by commands in shared memory (see parallel-protocol.ts). Loaded by file path, never
 * imported; it only runs when started as a worker.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/select";
import type { BackendChoice } from "../config";
import { buildAutoencoder } from "../model/autoencoder";
import { pixelsPerImage } from "../data/types";
import {
  Command,
  controlViews,
  ERROR_BYTES,
  Flag,
  Value,
  threadSchedStat,
  updateRange,
  type WorkerInit,
} from "./parallel-protocol";
import {
  adamUpdateRange,
  adamWithState,
  createShardReplica,
  flatLayout,
  readAdamState,
  type ShardReplica,
} from "./parallel-shard";

const WAIT_SLICE_MS = 1000;

function waitUntil(flags: Int32Array, index: number, target: number): void {
  for (;;) {
    const current = Atomics.load(flags, index);
    if (current >= target) return;
    Atomics.wait(flags, index, current, WAIT_SLICE_MS);
  }
}

async function run(init: WorkerInit): Promise<void> {
  await initBackend(init.backend as BackendChoice);
  const model = buildAutoencoder(init.model, init.shape, 0);
  const layout = flatLayout(model);
  const pixels = pixelsPerImage(init.shape);
  let optimizer: tf.Optimizer = tf.train.adam(
    init.adam.learningRate,
    init.adam.beta1,
    init.adam.beta2,
    init.adam.epsilon,
  );
  const makeReplica = (): ShardReplica =>
    createShardReplica(model, optimizer, init.loss, init.noise, pixels);
  let replica = makeReplica();
  const n = replica.parameterCount;
  const { flags, values, error } = controlViews(init.control);
  const batch = new Float32Array(init.batch);
  const grads = init.grads.map((b) => new Float32Array(b));
  const state = new Float32Array(init.state);
  const own = grads[init.shard];
  const live = new Float32Array(init.live);
  const liveWeights = live.subarray(0, n);
  const liveM = live.subarray(n, 2 * n);
  const liveV = live.subarray(2 * n, 3 * n);
  const [rangeStart, rangeEnd] = updateRange(init.shard, init.shardCount, n);

  parentPort?.postMessage({ type: "ready", parameterCount: n, shapes: layout.shapes });

  // A thread that ends without a Stop command (process.exit in a library, a fatal error) would
  // leave the main thread waiting for a timeout: say so in shared memory on the way out.
  let stopped = false;
  process.once("exit", (code) => {
    if (stopped) return;
    const bytes = new TextEncoder().encode(`the worker thread exited (code ${code}) mid-command`);
    error.set(bytes);
    flags[Flag.ErrorLength] = bytes.length;
    Atomics.store(flags, Flag.Status, 1);
    for (const flag of [Flag.GradsSeq, Flag.AdamSeq, Flag.DoneSeq]) {
      Atomics.store(flags, flag, 0x7fffffff);
      Atomics.notify(flags, flag);
    }
  });

  // Commands start at 1 and may arrive before this line runs: never start from the current value.
  let seen = 0;
  let steps = 0;
  for (;;) {
    waitUntil(flags, Flag.CommandSeq, seen + 1);
    seen = Atomics.load(flags, Flag.CommandSeq);
    const command = Atomics.load(flags, Flag.Command) as Command;
    if (command === Command.Stop) {
      stopped = true;
      Atomics.store(flags, Flag.DoneSeq, seen);
      Atomics.notify(flags, Flag.DoneSeq);
      break;
    }
    try {
      if (command === Command.Step) {
        steps++;
        if (steps === init.failAtStep) {
          if (init.failByExit) process.exit(3);
          throw new Error(`Injected failure at step ${steps} (test hook).`);
        }
        const sched0 = init.profile ? threadSchedStat() : null;
        const t0 = performance.now();
        values[Value.Loss] = replica.computeGradients(
          batch,
          flags[Flag.Rows],
          flags[Flag.BatchRows],
          values[Value.NoiseSeed],
          own,
        );
        const t1 = performance.now();
        Atomics.store(flags, Flag.GradsSeq, seen);
        Atomics.notify(flags, Flag.GradsSeq);
        waitUntil(flags, Flag.AllGradsSeq, seen);
        const t2 = performance.now();
        if (init.update === "replicated") {
          replica.applySummed(grads, values[Value.LearningRate]);
        } else {
          adamUpdateRange(
            liveWeights,
            liveM,
            liveV,
            grads,
            rangeStart,
            rangeEnd,
            { ...init.adam, learningRate: values[Value.LearningRate] },
            values[Value.AccBeta1],
            values[Value.AccBeta2],
          );
          Atomics.store(flags, Flag.AdamSeq, seen);
          Atomics.notify(flags, Flag.AdamSeq);
          waitUntil(flags, Flag.AllAdamSeq, seen);
          replica.writeWeights(liveWeights);
        }
        const t3 = performance.now();
        values[Value.ComputeMs] = t1 - t0;
        values[Value.WaitMs] = t2 - t1;
        values[Value.ApplyMs] = t3 - t2;
        const sched1 = sched0 ? threadSchedStat() : null;
        if (sched0 && sched1) {
          values[Value.CpuMs] = sched1[0] - sched0[0];
          values[Value.RunqueueMs] = sched1[1] - sched0[1];
        }
      } else if (command === Command.Load) {
        replica.writeWeights(state.subarray(0, n));
        // Split update: Adam's state lives in shared memory and this optimizer stays unused.
        if (init.update === "replicated") {
          const hasMoments = values[Value.HasMoments] === 1;
          const next = await adamWithState(init.adam, layout.shapes, {
            iterations: values[Value.Iterations],
            accumulators: hasMoments ? [values[Value.AccBeta1], values[Value.AccBeta2]] : null,
            m: state.subarray(n, 2 * n),
            v: state.subarray(2 * n, 3 * n),
          });
          optimizer.dispose();
          optimizer = next;
          replica = makeReplica();
        }
      } else if (command === Command.Read) {
        // Every worker gets the command; only the one asked writes the shared state buffer.
        if (flags[Flag.Rows] === 1) {
          replica.readWeights(state.subarray(0, n));
          const adam = readAdamState(optimizer, n);
          values[Value.Iterations] = adam.iterations;
          values[Value.HasMoments] = adam.accumulators === null ? 0 : 1;
          if (adam.accumulators !== null) {
            [values[Value.AccBeta1], values[Value.AccBeta2]] = adam.accumulators;
            state.set(adam.m, n);
            state.set(adam.v, 2 * n);
          }
        }
      } else {
        throw new Error(`Unknown command ${String(command)}.`);
      }
    } catch (caught) {
      const message = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
      const bytes = new TextEncoder().encode(message).subarray(0, ERROR_BYTES);
      error.set(bytes);
      flags[Flag.ErrorLength] = bytes.length;
      Atomics.store(flags, Flag.Status, 1);
      // Wake the main thread wherever it waits.
      for (const flag of [Flag.GradsSeq, Flag.AdamSeq]) {
        Atomics.store(flags, flag, seen);
        Atomics.notify(flags, flag);
      }
    }
    Atomics.store(flags, Flag.DoneSeq, seen);
    Atomics.notify(flags, Flag.DoneSeq);
  }
  model.dispose();
  optimizer.dispose();
}

if (!isMainThread && parentPort) {
  run(workerData as WorkerInit).catch((caught: unknown) => {
    const message = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
    parentPort?.postMessage({ type: "error", message });
  });
}
