/**
 * Picking the tfjs backend. "auto" takes the fastest that loads: the native TensorFlow engine
 * (@tensorflow/tfjs-node, its addon built by scripts/build-tfjs-node.sh against the C library of
 * a PyPI TensorFlow wheel), else WebAssembly (SIMD, one thread in Node), else plain JavaScript
 * (cpu, ~20x slower). Everything that exists only because one backend lacks something lives in
 * this folder: the rest of the library asks for a backend and a training step, nothing more.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { BackendChoice, ExperimentConfig } from "../config";
import { AutoencoderLabError } from "../errors";
import { setFloat64Accelerator } from "../ml/accelerator";
import { projectPath } from "../paths";
import type { Autoencoder } from "../model/autoencoder";
import { nativeFloat64Accelerator } from "./linalg";
import { activeNativeBackend } from "./native/binding";
import { createFusedTrainStep, type FusedTrainStep } from "./native/fused-step";
import { registerWasmConvGradients } from "./wasm/conv-gradient";
import { installWasmMatMulFastPath } from "./wasm/matmul";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  /** The backend that is running. */
  name: BackendName;
  /** What was asked for. */
  requested: BackendChoice;
  /** Why the faster backends were not used (empty when the first choice worked). */
  skipped: string[];
  /** TensorFlow's intra-op threads (tensorflow only). */
  threads?: number;
}

/** The backend could not be started (only when one was forced: "auto" always falls back). */
export class BackendError extends AutoencoderLabError {}

const AUTO_ORDER: BackendName[] = ["tensorflow", "wasm", "cpu"];

/**
 * Intra-op threads the native engine uses: TF_NUM_INTRAOP_THREADS when set, else every core.
 * TensorFlow reads the variable once, when the library loads: set it before the first
 * initBackend of a process (the bench does, per child process).
 */
export function nativeThreads(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.TF_NUM_INTRAOP_THREADS);
  return Number.isInteger(set) && set > 0 ? set : os.availableParallelism();
}

/** Set by scripts/build-tfjs-node.sh when the native build failed, with the reason. */
const NATIVE_UNAVAILABLE_FILE = path.join("node_modules", ".tfjs-node-unavailable");

function loadNative(): void {
  process.env.TF_NUM_INTRAOP_THREADS ??= String(nativeThreads());
  // One inter-op thread: our steps are chains of dependent kernels, and a second pool would
  // compete with the intra-op threads for the same cores.
  process.env.TF_NUM_INTEROP_THREADS ??= "1";
  // TensorFlow's start-up banner (oneDNN, CPU features) is noise in notebooks and logs.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@tensorflow/tfjs-node");
  } catch (error) {
    const first = (error as Error).message.split("\n")[0];
    if (/tfjs_binding\.node|could not be found|Cannot find module/i.test(first)) {
      throw new Error(
        `the native addon is not built (${nativeUnavailableReason() ?? first}); run bash scripts/setup.sh`,
      );
    }
    // The addon is there but the dynamic loader failed on TensorFlow's C library (missing,
    // damaged, or shadowed through LD_LIBRARY_PATH).
    if (/\.so(\.\d+)*\b|shared object|ELF/i.test(first)) {
      throw new Error(
        `TensorFlow's C library could not be loaded (${first}); run bash scripts/setup.sh to rebuild the native engine`,
      );
    }
    throw new Error(first);
  }
  if (!tf.findBackendFactory("tensorflow")) {
    throw new Error("@tensorflow/tfjs-node loaded but registered no tensorflow backend");
  }
}

function nativeUnavailableReason(): string | null {
  try {
    return fs.readFileSync(projectPath(NATIVE_UNAVAILABLE_FILE), "utf8").trim() || null;
  } catch {
    return null;
  }
}

async function loadWasm(): Promise<void> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const dist = path.dirname(
    require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"),
  );
  wasm.setWasmPaths(dist + path.sep);
}

async function tryBackend(name: BackendName): Promise<void> {
  if (name === "tensorflow") loadNative();
  if (name === "wasm") await loadWasm();
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") returned false`);
  await tf.ready();
  if (name === "wasm") {
    installWasmMatMulFastPath();
    // Conv models need a filter gradient the wasm backend lacks (./wasm/conv-gradient.ts).
    registerWasmConvGradients();
  }
}

/**
 * Start a backend. "auto" tries tensorflow, wasm, cpu in that order; a named backend must work
 * or a BackendError says why. Safe to call again: an already active backend is kept.
 */
export async function initBackend(requested: BackendChoice = "auto"): Promise<BackendInfo> {
  // lib/ml asks this provider before each accelerated step; it answers null unless the native
  // engine is the running backend at that moment, so registering it always is safe.
  setFloat64Accelerator(nativeFloat64Accelerator);
  const candidates = requested === "auto" ? AUTO_ORDER : [requested];
  const skipped: string[] = [];
  for (const name of candidates) {
    try {
      if (tf.getBackend() !== name) await tryBackend(name);
      else if (name === "wasm") installWasmMatMulFastPath();
      const threads = name === "tensorflow" ? nativeThreads() : undefined;
      return { name, requested, skipped, ...(threads ? { threads } : {}) };
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new BackendError(
    `Could not start the "${requested}" backend (${skipped.join("; ")}). ` +
      (requested === "tensorflow"
        ? "Run bash scripts/setup.sh (it builds the native addon and says why when it cannot), or use backend auto."
        : 'Use backend "auto" to fall back to another backend.'),
  );
}

/** One line for logs and run records, e.g. "tensorflow (2 threads)" or "wasm (skipped tensorflow)". */
export function describeBackend(info: BackendInfo): string {
  const name = info.threads ? `${info.name} (${info.threads} threads)` : info.name;
  return info.skipped.length === 0
    ? name
    : `${name} (skipped ${info.skipped.map((s) => s.split(":")[0]).join(", ")})`;
}

/**
 * The running backend's own training step for `model`, when it has one (the native engine's fused
 * step for stacked Dense/Conv layers); null means: use tfjs' generic gradients.
 */
export function createBackendTrainStep(
  model: Autoencoder,
  config: ExperimentConfig,
  optimizer: tf.Optimizer,
): FusedTrainStep | null {
  const native = activeNativeBackend();
  if (!native) return null;
  const fused = createFusedTrainStep(native, model, config.train.loss, optimizer);
  return typeof fused === "string" ? null : fused;
}
