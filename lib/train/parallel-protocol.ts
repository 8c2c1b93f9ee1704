/**
 * The shared-memory protocol between the main thread and the training workers of
 * lib/train/parallel.ts. Each worker has a block of Int32 flags and Float64 values in one
 * SharedArrayBuffer; sequence numbers only grow, so "done" is `flag >= seq` and a missed notify
 * costs at most one wait slice.
 */
import * as fs from "node:fs";

/** Int32 slots of a worker's control block. */
export enum Flag {
  /** Main → worker: sequence number of the latest command. */
  CommandSeq = 0,
  /** Main → worker: which command (Command). */
  Command = 1,
  /** Main → worker: rows in this worker's shard. */
  Rows = 2,
  /** Main → worker: rows in the whole batch. */
  BatchRows = 3,
  /** Worker → main: its gradient for step `seq` is written. */
  GradsSeq = 4,
  /** Main → worker: every shard's gradient for step `seq` is written (sum may start). */
  AllGradsSeq = 5,
  /** Worker → main: command `seq` finished (or failed: see Status). */
  DoneSeq = 6,
  /** Worker → main: 0 ok, 1 failed (message in the error bytes). */
  Status = 7,
  /** Worker → main: length in bytes of the UTF-8 error message. */
  ErrorLength = 8,
  /** Worker → main (split update): its range of the Adam update for step `seq` is written. */
  AdamSeq = 9,
  /** Main → worker (split update): every range is written (copy the weights in). */
  AllAdamSeq = 10,
  Count = 16,
}

/** Float64 slots of a worker's control block. */
export enum Value {
  /** Main → worker: the learning rate of this step. */
  LearningRate = 0,
  /** Main → worker: the noise seed of this shard. */
  NoiseSeed = 1,
  /** Worker → main: the shard's scaled loss. */
  Loss = 2,
  /** Worker → main: milliseconds spent computing the gradient, and summing + applying Adam. */
  ComputeMs = 3,
  ApplyMs = 4,
  /** Main ↔ worker: Adam iterations and beta powers for Load / Read (and Step, split update). */
  Iterations = 5,
  AccBeta1 = 6,
  AccBeta2 = 7,
  /** 1 when the Adam moments are present in the state buffer. */
  HasMoments = 8,
  /** Worker → main: milliseconds spent waiting for the other shards' gradients. */
  WaitMs = 9,
  /** Worker → main (profile): on-CPU and run-queue milliseconds of the worker thread this step. */
  CpuMs = 10,
  RunqueueMs = 11,
  Count = 16,
}

export enum Command {
  Step = 1,
  /** Replace weights and Adam state from the state buffer. */
  Load = 2,
  /** Copy weights and Adam state into the state buffer. */
  Read = 3,
  Stop = 4,
}

export const ERROR_BYTES = 4096;

/**
 * How the summed gradient becomes new weights:
 * - replicated: every thread applies the whole tfjs Adam step to its own replica;
 * - split: Adam runs in plain JS on weights and moments in shared memory, each thread updating
 *   its own contiguous range, then every thread copies the new weights into its variables.
 */
export type UpdateMode = "replicated" | "split";

/** The parameter range [start, end) a shard updates in split mode. */
export function updateRange(shard: number, shards: number, total: number): [number, number] {
  const size = Math.ceil(total / shards);
  return [Math.min(total, shard * size), Math.min(total, (shard + 1) * size)];
}

/**
 * On-CPU and run-queue-wait milliseconds of the calling thread so far (Linux
 * /proc/thread-self/schedstat), or null where that file does not exist. Run-queue time is time
 * the thread was ready but another process had the core: it measures contention.
 */
export function threadSchedStat(): [number, number] | null {
  try {
    const [cpu, queue] = fs.readFileSync("/proc/thread-self/schedstat", "utf8").split(" ");
    return [Number(cpu) / 1e6, Number(queue) / 1e6];
  } catch {
    return null;
  }
}

/** What a worker receives as workerData. */
export interface WorkerInit {
  shard: number;
  shardCount: number;
  backend: string;
  model: import("../config").ModelConfig;
  loss: import("../config").LossName;
  noise: import("../config").NoiseConfig;
  shape: import("../data/types").ImageShape;
  adam: import("./parallel-shard").AdamScalars;
  maxRows: number;
  update: UpdateMode;
  /** Tests only: this worker throws (or exits the thread) during its n-th step (1-based); 0 never. */
  failAtStep: number;
  failByExit: boolean;
  /** Record per-step thread CPU and run-queue times (reads /proc each step). */
  profile: boolean;
  /** Int32 flags (Flag.Count) then Float64 values (Value.Count) then error bytes. */
  control: SharedArrayBuffer;
  /** This worker's batch rows, maxRows × pixels float32. */
  batch: SharedArrayBuffer;
  /** One gradient buffer per shard (index = shard), parameterCount float32 each. */
  grads: SharedArrayBuffer[];
  /** Weights, m, v (3 × parameterCount float32) for Load / Read. */
  state: SharedArrayBuffer;
  /** Split update: the live weights, m, v (3 × parameterCount float32). */
  live: SharedArrayBuffer;
}

/** Typed views over a control block. */
export function controlViews(control: SharedArrayBuffer): {
  flags: Int32Array;
  values: Float64Array;
  error: Uint8Array;
} {
  const flagBytes = Flag.Count * 4;
  const valueBytes = Value.Count * 8;
  return {
    flags: new Int32Array(control, 0, Flag.Count),
    values: new Float64Array(control, flagBytes, Value.Count),
    error: new Uint8Array(control, flagBytes + valueBytes, ERROR_BYTES),
  };
}

export function controlBytes(): number {
  return Flag.Count * 4 + Value.Count * 8 + ERROR_BYTES;
}
