/**
 * Fine-tune a trained run with deep embedded clustering (DEC / IDEC) from the command line:
 *   npm run idec -- --parent reference --run reference-idec
 *   npm run idec -- --parent reference --run reference-idec --dec.init umap-gmm --dec.maxEpochs 10
 *   npm run idec -- --resume --parent reference --run reference-idec   (after a kill or Ctrl-C)
 * Only dec.* keys, --run and --train.runsDir are read; data, model and seed come from the parent.
 * Ctrl-C stops after the current step and keeps the last checkpoint (written at every update).
 */
import { parseConfigFlags, type DecConfig } from "../lib/config";
import { AutoencoderLabError, ConfigError } from "../lib/errors";
import { loadRun } from "../lib/runs/run-folder";
import { decRunConfig, fineTuneClustering } from "../lib/train/idec";

const USAGE = `Usage: npm run idec -- --parent <run> --run <name> [--resume] [--dec.<key> <value> ...]`;

export async function idecCli(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const resume = argv.includes("--resume");
  const flags = parseConfigFlags(argv.filter((a) => a !== "--resume"));
  const dec: Record<string, unknown> = {};
  let runsDir = "runs";
  let name: string | null = null;
  for (const [key, value] of Object.entries(flags)) {
    if (key.startsWith("dec.")) dec[key.slice(4)] = value;
    else if (key === "train.runName") name = value as string;
    else if (key === "train.runsDir") runsDir = value as string;
    else throw new ConfigError(`${USAGE}\n--${key} is not read here: the parent's config is used.`);
  }
  const parentName = dec.parentRun as string | undefined;
  if (!parentName || !name) throw new ConfigError(`${USAGE}\nName both --parent and --run.`);
  delete dec.parentRun;
  const config = decRunConfig(
    loadRun(parentName, runsDir),
    name,
    dec as Partial<DecConfig>,
    runsDir,
  );
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error("\ninterrupt: stopping after this step; the last checkpoint is kept");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    const result = await fineTuneClustering(config, {
      resume,
      signal: controller.signal,
      log: (line) => console.log(`idec: ${line}`),
      onUpdate: (r) =>
        console.log(
          `idec: update ${r.epoch} step ${r.step} (${r.passes.toFixed(2)} passes): loss ${r.trainLoss.toFixed(4)} ` +
            `(KL ${r.clusteringLoss.toFixed(4)}, rec ${r.reconstructionLoss.toFixed(4)}), val BCE ${r.valBce.toFixed(4)}, ` +
            `changed ${(100 * r.changed).toFixed(2)}%, train ACC ${r.trainAccuracy.toFixed(4)}, ${r.samplesPerSecond.toFixed(0)} img/s`,
        ),
    });
    const m = result.metrics;
    if (m) {
      const s = (x: { accuracy: number; nmi: number; ari: number }) =>
        `ACC ${x.accuracy.toFixed(4)} NMI ${x.nmi.toFixed(4)} ARI ${x.ari.toFixed(4)}`;
      const parentBce = (m.parentTest as { model?: { bce?: number } } | null)?.model?.bce;
      console.log(
        `idec: ${result.stopReason} after ${m.steps} steps (${m.passes.toFixed(2)} passes) in ${result.seconds.toFixed(0)} s`,
      );
      console.log(`idec: test, DEC clusters: ${s(m.clustering.test.dec)}`);
      console.log(`idec: test, k-means on codes: ${s(m.clustering.test.kmeans)}`);
      console.log(
        `idec: test BCE ${m.test.model.bce.toFixed(5)} (parent ${parentBce?.toFixed(5) ?? "?"})`,
      );
    }
    return result.stopReason === "interrupted" ? 130 : 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

if (require.main === module) {
  idecCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof AutoencoderLabError ? `error: ${error.message}` : error);
      process.exit(1);
    },
  );
}
