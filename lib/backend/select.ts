/**
 * Picking the tfjs backend. "auto" takes the fastest that loads: the native TensorFlow binding
 * (@tensorflow/tfjs-node, optional: its install downloads libtensorflow, which fails offline),
 * else WebAssembly (SIMD, single thread in Node), else plain JavaScript (cpu, ~20x slower).
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { BackendChoice } from "../config";
import { AutoencoderLabError } from "../errors";
import { registerWasmConvGradients } from "../model/conv-gradient";
import { installWasmMatMulFastPath } from "./wasm-matmul";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  /** The backend that is running. */
  name: BackendName;
  /** What was asked for. */
  requested: BackendChoice;
  /** Why the faster backends were not used (empty when the first choice worked). */
  skipped: string[];
}

/** The backend could not be started (only when one was forced: "auto" always falls back). */
export class BackendError extends AutoencoderLabError {}

const AUTO_ORDER: BackendName[] = ["tensorflow", "wasm", "cpu"];

function loadNative(): void {
  // npm may alias this name to plain tfjs (danfojs-node's override), so a successful require
  // proves nothing: only a registered "tensorflow" backend does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("@tensorflow/tfjs-node");
  if (!tf.findBackendFactory("tensorflow")) {
    throw new Error("@tensorflow/tfjs-node is not installed (the name resolves to plain tfjs)");
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
    // Conv models need a filter gradient the wasm backend lacks (lib/model/conv-gradient.ts).
    registerWasmConvGradients();
  }
}

/**
 * Start a backend. "auto" tries tensorflow, wasm, cpu in that order; a named backend must work
 * or a BackendError says why. Safe to call again: an already active backend is kept.
 */
export async function initBackend(requested: BackendChoice = "auto"): Promise<BackendInfo> {
  const candidates = requested === "auto" ? AUTO_ORDER : [requested];
  const skipped: string[] = [];
  for (const name of candidates) {
    try {
      if (tf.getBackend() !== name) await tryBackend(name);
      else if (name === "wasm") installWasmMatMulFastPath();
      return { name, requested, skipped };
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new BackendError(
    `Could not start the "${requested}" backend (${skipped.join("; ")}). ` +
      (requested === "tensorflow"
        ? "Install @tensorflow/tfjs-node (needs internet to fetch libtensorflow) or use backend auto."
        : 'Use backend "auto" to fall back to another backend.'),
  );
}

/** One line for logs and run records, e.g. "wasm (tensorflow skipped: …)". */
export function describeBackend(info: BackendInfo): string {
  return info.skipped.length === 0
    ? info.name
    : `${info.name} (skipped ${info.skipped.map((s) => s.split(":")[0]).join(", ")})`;
}
