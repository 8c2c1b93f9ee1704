/**
 * Training speed, printed (never asserted): samples/s of one optimiser step on real MNIST
 * batches for the dense and conv models on every backend that starts here, the peak memory of
 * each, and the same models trained by PyTorch (one thread) in the same invocation, with ratios.
 *
 *   npm run bench                          # dense + conv, every backend, PyTorch if importable
 *   npm run bench -- --steps 100           # more steps per measurement
 *   npm run bench -- --models dense --backends wasm,wasm+1   (wasm+1: one extra worker thread)
 *
 * Each measurement runs in its own child process so its peak RSS is its own.
 * PyTorch: `.venv/bin/pip install -r requirements-bench.txt` (torch 2.13.0 CPU build).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend, type BackendName } from "../lib/backend/select";
import { resolveConfig, type ModelKind } from "../lib/config";
import { loadDataset, prepareDataset } from "../lib/data";
import { pixelsPerImage } from "../lib/data/types";
import { buildAutoencoder } from "../lib/model/autoencoder";
import { projectPath } from "../lib/paths";
import type { ImageSet, PreparedDataset } from "../lib/data/types";
import { train } from "../lib/train/trainer";

interface Measurement {
  engine: string;
  model: ModelKind;
  backend: string;
  batchSize: number;
  steps: number;
  samplesPerSecond: number;
  peakRssMb: number;
  error?: string;
}

/**
 * In a child: train one model on one backend through the real training loop (train()) for two
 * short epochs of `steps` batches each, and report the second epoch's training throughput (the
 * first warms up; validation is excluded from EpochRecord.samplesPerSecond). One JSON line.
 */
async function measureOne(
  model: ModelKind,
  backend: BackendName,
  steps: number,
  _workers: number,
): Promise<void> {
  const info = await initBackend(backend);
  const config = resolveConfig({ model: { kind: model }, train: { epochs: 2 } });
  const bs = config.train.batchSize;
  const full = prepareDataset(await loadDataset(config.data), config.data, config.seed);
  const take = (set: ImageSet, count: number): ImageSet => ({
    images: set.images.subarray(0, count * pixelsPerImage(full.shape)),
    labels: set.labels.subarray(0, count),
    count,
  });
  const data: PreparedDataset = {
    ...full,
    train: take(full.train, steps * bs),
    validation: take(full.validation, bs),
  };
  const autoencoder = buildAutoencoder(config.model, data.shape, config.seed);
  const result = await train(autoencoder, data, config);
  autoencoder.dispose();
  const measurement: Measurement = {
    engine: "tfjs",
    model,
    backend: info.threads
      ? `${info.name}, ${info.threads} thread${info.threads > 1 ? "s" : ""}`
      : info.name,
    batchSize: bs,
    steps,
    samplesPerSecond: result.history[1].samplesPerSecond,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(measurement));
}

function runChild(
  args: string[],
  timeoutMs: number,
  threads: string,
): { json: unknown | null; error: string } {
  const child = spawnSync(
    process.execPath,
    ["--require", "ts-node/register/transpile-only", __filename, ...args],
    {
      cwd: projectPath(),
      encoding: "utf8",
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1", TF_NUM_INTRAOP_THREADS: threads },
      timeout: timeoutMs,
    },
  );
  const line = child.stdout.trim().split("\n").pop() ?? "";
  try {
    return { json: JSON.parse(line), error: "" };
  } catch {
    // The error's own line (e.g. "BackendError: Could not start …"), not the last stack frame.
    const lines = (child.stderr || child.error?.message || "no output").trim().split("\n");
    return { json: null, error: lines.find((l) => /Error\b/.test(l)) ?? lines[lines.length - 1] };
  }
}

function runPytorch(
  model: ModelKind,
  steps: number,
  batchSize: number,
  threads: number,
): Measurement | string {
  const python = projectPath(".venv/bin/python");
  if (!fs.existsSync(python)) return "no project venv (.venv): run bash scripts/setup.sh";
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0)
    return "PyTorch not importable: .venv/bin/pip install -r requirements-bench.txt";
  const script = path.join(__dirname, "pytorch_peer.py");
  const run = spawnSync(
    python,
    [
      script,
      "--model",
      model,
      "--threads",
      String(threads),
      "--batch-size",
      String(batchSize),
      "--measure-steps",
      String(steps),
    ],
    {
      encoding: "utf8",
      timeout: 600_000,
    },
  );
  const line = run.stdout.trim().split("\n").pop() ?? "";
  try {
    const r = JSON.parse(line) as {
      samples_per_s: number;
      batch_size: number;
      torch: string;
      peak_rss_mb: number;
    };
    return {
      engine: `pytorch ${r.torch ?? ""}`.trim(),
      model,
      backend: `cpu, ${threads} thread${threads > 1 ? "s" : ""}`,
      batchSize: r.batch_size,
      steps,
      samplesPerSecond: r.samples_per_s,
      peakRssMb: r.peak_rss_mb,
    };
  } catch {
    return `pytorch_peer failed: ${(run.stderr || "no output").trim().split("\n").slice(-1)[0]}`;
  }
}

function option(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "--one") {
    await measureOne(
      argv[1] as ModelKind,
      argv[2] as BackendName,
      Number(argv[3]),
      Number(argv[4] ?? 0),
    );
    return;
  }
  const steps = Number(option(argv, "--steps", "60"));
  const models = option(argv, "--models", "dense,conv").split(",") as ModelKind[];
  const backends = option(argv, "--backends", "tensorflow:1,tensorflow:2,wasm,cpu").split(",");
  const rows: Measurement[] = [];
  const notes: string[] = [];
  for (const model of models) {
    for (const choice of backends) {
      const [backend, threads = "1"] = choice.split(":");
      const workers = 0;
      // The cpu backend is 10-50x slower: fewer steps keep the bench to minutes.
      const n =
        backend === "cpu"
          ? Math.max(3, Math.round(steps / (model === "conv" ? 30 : 10)))
          : model === "conv"
            ? Math.max(5, Math.round(steps / 4))
            : steps;
      process.stderr.write(`bench: ${model} on ${choice}, ${n} steps ...\n`);
      const { json, error } = runChild(
        ["--one", model, String(backend), String(n), String(workers)],
        900_000,
        threads,
      );
      if (json) rows.push(json as Measurement);
      else notes.push(`${model} on ${choice}: not available (${error})`);
    }
    const torchSteps = model === "conv" ? Math.max(5, Math.round(steps / 4)) : steps;
    process.stderr.write(`bench: ${model} on PyTorch, ${torchSteps} steps ...\n`);
    for (const threads of [1, 2]) {
      const torch = runPytorch(model, torchSteps, resolveConfig({}).train.batchSize, threads);
      if (typeof torch === "string") notes.push(`${model} on PyTorch: ${torch}`);
      else rows.push(torch);
    }
  }
  const threadsOf = (r: Measurement) => Number(/(\d+) thread/.exec(r.backend)?.[1] ?? 1);
  // The PyTorch row with the same thread count (1 for wasm and cpu, which use one thread).
  const peer = (r: Measurement) =>
    rows.find(
      (p) => p.model === r.model && p.engine.startsWith("pytorch") && threadsOf(p) === threadsOf(r),
    );
  console.log(
    `\nTraining throughput, batch ${resolveConfig({}).train.batchSize} (the default), Adam, BCE, real MNIST batches (${new Date().toISOString()})`,
  );
  console.log(
    [
      "model",
      "engine",
      "backend",
      "steps",
      "samples/s",
      "vs PyTorch",
      "peak RSS MB",
      "25 epochs (est.)",
    ].join("\t"),
  );
  for (const r of rows) {
    const p = peer(r);
    const ratio = p && r !== p ? (r.samplesPerSecond / p.samplesPerSecond).toFixed(2) : "";
    const epochs25 = (25 * 50000) / r.samplesPerSecond;
    console.log(
      [
        r.model,
        r.engine,
        r.backend,
        r.steps,
        Math.round(r.samplesPerSecond),
        ratio,
        r.peakRssMb.toFixed(0),
        `${(epochs25 / 60).toFixed(1)} min`,
      ].join("\t"),
    );
  }
  for (const n of notes) console.log(`note: ${n}`);
  console.log(
    "(25-epoch estimates cover training steps only; validation adds ~0.3 s an epoch for the dense model)",
  );
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
