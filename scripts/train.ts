/**
 * Train an autoencoder from the command line:
 *   npm run train -- --epochs 5 --latent 32 --run my-run
 *   npm run train -- --resume --run my-run        (continue from the last checkpoint)
 *   npm run train -- --help                       (every config key)
 *   npm run train -- --ensure --run my-run ...    (reuse if complete, resume if unfinished, else train)
 * --report-lines (what a sweep trial uses, lib/sweep): one `AE_EPOCH {json}` line per epoch and an
 * `AE_TRIAL_END {json}` line on stdout; stdin "stop" interrupts, "stop scheduler" marks the run
 * stopped by the sweep's scheduler, and stdin closing (the trial's process died) interrupts.
 * Ctrl-C stops after the current batch and keeps the last checkpoint; a second Ctrl-C quits at once.
 */
import { createInterface } from "node:readline";
import { ensureRun } from "../lib/apps/variants";
import { configHelp, parseConfigFlags, quickRequested, resolveConfig } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import { loadRun } from "../lib/runs/run-folder";
import { formatReport } from "../lib/train/report";
import { runExperiment, SchedulerStop, type ProgressReporter } from "../lib/train/experiment";
import { terminalReporter } from "../lib/train/progress";
import type { EpochRecord } from "../lib/train/trainer";

const USAGE = `Usage: npm run train -- [--resume] [--<config key> <value> ...]

Trains an autoencoder, writes runs/<name>/ (config, history, checkpoint, model, metrics) and prints
test metrics. AE_QUICK=1 starts from the quick preset. --resume continues the run named by --run
from its last checkpoint and finishes it as it was configured (its saved config is used); with
--epochs N as well it extends the run to N epochs in all, and its config.json then says N.
--ensure (with --run): reuse the run when it completed with this config, resume it when
unfinished, train it otherwise (a run with another config is renamed aside). --report-lines:
machine-readable progress for sweeps (lib/sweep): one AE_EPOCH JSON line per epoch on stdout.

Config keys (dotted name or alias):
${configHelp()}`;

export async function trainCli(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const resume = argv.includes("--resume");
  const ensure = argv.includes("--ensure");
  const lines = argv.includes("--report-lines");
  const modes = new Set(["--resume", "--ensure", "--report-lines"]);
  const overrides = parseConfigFlags(argv.filter((a) => !modes.has(a)));
  const config = resolveConfig(overrides);
  // Resuming keeps the run's own epoch count unless --epochs is given on purpose.
  const epochs = "train.epochs" in overrides ? config.train.epochs : undefined;
  if (quickRequested()) console.error("AE_QUICK=1: quick preset");
  if (ensure && !config.train.runName) {
    throw new AutoencoderLabError("--ensure needs a run name: add --run <name>.");
  }
  const controller = new AbortController();
  if (lines) listenForStop(controller);
  const reporter = lines ? lineReporter(config.train.epochs) : terminalReporter();
  if (ensure) {
    const name = config.train.runName as string;
    try {
      const ensured = await ensureRun(
        name,
        {},
        { base: config, reporter, signal: controller.signal },
      );
      if (ensured.action === "reused" && lines) {
        for (const record of ensured.run.history)
          reportLine(
            "AE_EPOCH",
            epochJson(record, ensured.run.history, config.train.epochs, ensured.folder),
          );
      }
      if (lines)
        reportLine("AE_TRIAL_END", { status: ensured.run.record.status, action: ensured.action });
      else console.error(`run ${name}: ${ensured.action}`);
      return 0;
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      const status = loadRun(name, config.train.runsDir).record.status;
      if (lines) reportLine("AE_TRIAL_END", { status });
      return controller.signal.reason instanceof SchedulerStop ? 0 : 130;
    }
  }
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error(
      "\ninterrupt: stopping after this batch (Ctrl-C again to quit now); the last checkpoint is kept",
    );
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    const result = await runExperiment(config, {
      resume,
      epochs: resume ? epochs : undefined,
      signal: controller.signal,
      reporter,
    });
    if (lines) reportLine("AE_TRIAL_END", { status: loadRun(result.folder).record.status });
    if (result.metrics) console.log(formatReport(result.metrics));
    result.model.dispose();
    return result.result.stopReason === "interrupted" ? 130 : 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

function reportLine(tag: string, value: unknown): void {
  process.stdout.write(`${tag} ${JSON.stringify(value)}\n`);
}

function epochJson(
  record: EpochRecord,
  history: readonly EpochRecord[],
  epochs: number,
  folder: string,
): Record<string, unknown> {
  const best = Math.min(...history.slice(0, record.epoch).map((r) => r.valLoss));
  return { ...record, epochs, bestValLoss: best, folder };
}

/** Machine-readable progress: one AE_EPOCH line per finished epoch (its checkpoint is saved). */
function lineReporter(epochs: number): ProgressReporter {
  let folder = "";
  let total = epochs;
  return {
    start(info) {
      folder = info.folder;
      total = info.epochs;
      console.error(
        `run ${info.runName} on ${info.backend}: epochs ${info.firstEpoch}..${info.epochs}`,
      );
    },
    batch() {},
    epoch(record, history) {
      reportLine("AE_EPOCH", epochJson(record, history, total, folder));
    },
    end() {},
  };
}

/** stdin "stop" interrupts after the current batch, "stop scheduler" marks the run stopped. */
function listenForStop(controller: AbortController): void {
  const input = createInterface({ input: process.stdin });
  input.on("line", (line) => {
    const words = line.trim().split(/\s+/);
    if (words[0] !== "stop" || controller.signal.aborted) return;
    controller.abort(words[1] ? new SchedulerStop(words[1]) : undefined);
  });
  // The process that started us is gone: stop after this batch, keeping the last checkpoint.
  input.on("close", () => {
    if (!controller.signal.aborted) controller.abort();
  });
  process.stdin.unref?.();
}

if (require.main === module) {
  trainCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof AutoencoderLabError ? `error: ${error.message}` : error);
      process.exit(1);
    },
  );
}
