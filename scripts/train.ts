/**
 * Train an autoencoder from the command line:
 *   npm run train -- --epochs 5 --latent 32 --run my-run
 *   npm run train -- --resume --run my-run        (continue from the last checkpoint)
 *   npm run train -- --help                       (every config key)
 * Ctrl-C stops after the current batch and keeps the last checkpoint; a second Ctrl-C quits at once.
 */
import { configHelp, parseConfigFlags, quickRequested, resolveConfig } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import { formatReport } from "../lib/train/report";
import { runExperiment } from "../lib/train/experiment";
import { terminalReporter } from "../lib/train/progress";

const USAGE = `Usage: npm run train -- [--resume] [--<config key> <value> ...]

Trains an autoencoder, writes runs/<name>/ (config, history, checkpoint, model, metrics) and prints
test metrics. AE_QUICK=1 starts from the quick preset. --resume continues the run named by --run
from its last checkpoint and finishes it as it was configured (its saved config is used); with
--epochs N as well it extends the run to N epochs in all, and its config.json then says N.

Config keys (dotted name or alias):
${configHelp()}`;

export async function trainCli(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const resume = argv.includes("--resume");
  const overrides = parseConfigFlags(argv.filter((a) => a !== "--resume"));
  const config = resolveConfig(overrides);
  // Resuming keeps the run's own epoch count unless --epochs is given on purpose.
  const epochs = "train.epochs" in overrides ? config.train.epochs : undefined;
  if (quickRequested()) console.error("AE_QUICK=1: quick preset");
  const controller = new AbortController();
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
      reporter: terminalReporter(),
    });
    if (result.metrics) console.log(formatReport(result.metrics));
    result.model.dispose();
    return result.result.stopReason === "interrupted" ? 130 : 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
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
