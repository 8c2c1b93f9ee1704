/**
 * Peak memory, printed (never asserted): each job runs in its own child process and reports its
 * own peak RSS (process.resourceUsage().maxRSS, which includes the wasm heap) and the tfjs tensor
 * count after every epoch (a count that grows epoch after epoch is a leak).
 *
 *   npm run bench:memory                    # every job
 *   npm run bench:memory -- --jobs train --epochs 5
 *
 * Jobs:
 *   train  the default dense model on full MNIST (50k/10k), through runExperiment: loading,
 *          training, checkpoints every epoch, evaluation (into a temporary runs folder)
 *   conv   the same for the conv model, 1 epoch
 *   tsne   t-SNE of the 10,000 MNIST test codes of runs/reference (train it with `npm run main`)
 * The budget from issue #7 is 2 GB per job.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend/select";
import { resolveConfig } from "../lib/config";
import { trustworthiness, tsne } from "../lib/ml";
import { loadOrEncodeCodes } from "../lib/runs/codes";
import { runExperiment } from "../lib/train/experiment";

const BUDGET_MB = 2048;
const JOBS = ["train", "conv", "tsne"] as const;
type Job = (typeof JOBS)[number];

interface Report {
  job: string;
  peakRssMb: number;
  seconds: number;
  tensorsPerEpoch?: number[];
  detail?: string;
}

const mb = (kb: number) => Math.round(kb / 1024);

async function trainJob(
  kind: "dense" | "conv",
  epochs: number,
): Promise<Omit<Report, "peakRssMb">> {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-bench-memory-"));
  const started = performance.now();
  const tensorsPerEpoch: number[] = [];
  try {
    const config = resolveConfig({
      model: { kind },
      train: { epochs, runName: `memory-${kind}`, runsDir, backend: "wasm" },
    });
    const result = await runExperiment(config, {
      reporter: {
        start: () => {},
        batch: () => {},
        epoch: () => void tensorsPerEpoch.push(tf.memory().numTensors),
        end: () => {},
      },
    });
    result.model.dispose();
    const val = result.result.history.at(-1)?.valLoss ?? NaN;
    return {
      job: kind === "dense" ? "train" : "conv",
      seconds: (performance.now() - started) / 1000,
      tensorsPerEpoch,
      detail: `${epochs} epoch(s), val loss ${val.toFixed(4)}`,
    };
  } finally {
    fs.rmSync(runsDir, { recursive: true, force: true });
  }
}

async function tsneJob(): Promise<Omit<Report, "peakRssMb">> {
  await initBackend("wasm");
  const started = performance.now();
  // Codes are read from runs/reference/codes when cached there, else encoded (and cached).
  const codes = await loadOrEncodeCodes("reference", "test", { runsDir: "runs" });
  const embedding = tsne(codes.codes, codes.n, codes.dim, { seed: 0 });
  const seconds = (performance.now() - started) / 1000;
  const trust = trustworthiness(codes.codes, embedding, codes.n, codes.dim, 2, 10);
  return {
    job: "tsne",
    seconds,
    detail: `${codes.n} × ${codes.dim} codes (${codes.source}), trustworthiness ${trust.toFixed(4)}`,
  };
}

async function child(job: Job, epochs: number): Promise<void> {
  const report =
    job === "tsne" ? await tsneJob() : await trainJob(job === "train" ? "dense" : "conv", epochs);
  const full: Report = { ...report, peakRssMb: mb(process.resourceUsage().maxRSS) };
  console.log(`@@report ${JSON.stringify(full)}`);
}

function parent(argv: string[]): void {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const jobs = (value("--jobs")?.split(",") ?? [...JOBS]) as Job[];
  for (const job of jobs)
    if (!JOBS.includes(job)) throw new Error(`unknown job ${job} (known: ${JOBS.join(", ")})`);
  const epochs = Number(value("--epochs") ?? 2);
  console.log(
    `bench:memory on ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}; budget ${BUDGET_MB} MB per job`,
  );
  for (const job of jobs) {
    const r = spawnSync(
      process.execPath,
      [
        "--require",
        "ts-node/register/transpile-only",
        __filename,
        "--child",
        job,
        "--epochs",
        String(job === "conv" ? 1 : epochs),
      ],
      {
        encoding: "utf8",
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
        maxBuffer: 64 << 20,
      },
    );
    const line = r.stdout.split("\n").find((l) => l.startsWith("@@report "));
    if (r.status !== 0 || !line) {
      const why = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ");
      console.log(`${job.padEnd(6)} failed: ${why}`);
      continue;
    }
    const rep = JSON.parse(line.slice(9)) as Report;
    const verdict = rep.peakRssMb <= BUDGET_MB ? "within budget" : "OVER BUDGET";
    const tensors = rep.tensorsPerEpoch
      ? `; tensors after each epoch ${rep.tensorsPerEpoch.join(", ")}`
      : "";
    console.log(
      `${job.padEnd(6)} peak RSS ${String(rep.peakRssMb).padStart(5)} MB (${verdict}) in ${rep.seconds.toFixed(1)} s; ${rep.detail ?? ""}${tensors}`,
    );
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf("--child");
  if (i >= 0) {
    const e = argv.indexOf("--epochs");
    child(argv[i + 1] as Job, Number(argv[e + 1] ?? 2)).catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
  } else {
    parent(argv);
  }
}
