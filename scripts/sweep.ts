/**
 * Run a sweep of training runs on Ray Tune (local Ray by default, a cluster with --address):
 *   npm run sweep -- --spec sweeps/lr-code.json
 *   npm run sweep -- --name lr --grid model.codeSize=16,32 --sample train.learningRate=loguniform:1e-4:1e-2 \
 *     --samples 2 --scheduler asha --epochs 3
 *   npm run sweep -- --spec s.json --address 10.0.0.5:6379     (or RAY_ADDRESS=...)
 * Running the same spec again resumes it (finished trials are skipped). Ctrl-C stops the sweep:
 * trials stop after their batch and keep their checkpoints.
 */
import { configHelp, parseConfigFlags } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import { runSweep, type SweepResult } from "../lib/sweep/runner";
import { loadSweepSpec, SPEC_FIELDS, trialCount, validateSweepSpec } from "../lib/sweep/spec";
import { sweepTable, terminalSweepProgress } from "../lib/sweep/progress";

const USAGE = `Usage: npm run sweep -- --spec <file.json> [--address <ray address>] [--local-cpus N]
       npm run sweep -- --name <name> [--grid key=v1,v2 ...] [--sample key=kind:low:high ...]
                        [--samples N] [--scheduler fifo|asha] [--max-failures N]
                        [--cpus-per-trial N] [--max-concurrent N] [--<config key> <value> ...]

Runs every trial as one training run (scripts/train.ts), on local Ray unless --address or
RAY_ADDRESS names a cluster. Results: runs/sweeps/<name>/results.json. Sample kinds: uniform,
loguniform, randint (low and high inclusive), choice (key=choice:a:b:c). See docs/sweeps.md.

Spec fields:
${Object.entries(SPEC_FIELDS)
  .map(([k, doc]) => `  ${k}: ${doc}`)
  .join("\n")}

Config keys for --grid, --sample and base flags:
${configHelp()}`;

function take(argv: string[], flag: string, many = false): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== flag) continue;
    if (argv[i + 1] === undefined || argv[i + 1].startsWith("--")) {
      throw new AutoencoderLabError(`${flag} needs a value (see --help).`);
    }
    values.push(argv[i + 1]);
    argv.splice(i, 2);
    i--;
    if (!many) break;
  }
  return values;
}

function parseValue(raw: string): unknown {
  if (raw === "null") return null;
  if (raw === "true" || raw === "false") return raw === "true";
  const n = Number(raw);
  return raw.trim() !== "" && Number.isFinite(n) ? n : raw;
}

function keyValue(flag: string, arg: string): [string, string] {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new AutoencoderLabError(`${flag} takes key=value, got "${arg}".`);
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

/** A spec from flags: --name, --grid, --sample, ... and config flags as the base. */
function specFromFlags(argv: string[]): unknown {
  const spec: Record<string, unknown> = {};
  const name = take(argv, "--name")[0];
  if (name !== undefined) spec.name = name;
  const grid = take(argv, "--grid", true);
  if (grid.length) {
    spec.grid = Object.fromEntries(
      grid.map((g) => {
        const [key, values] = keyValue("--grid", g);
        return [key, values.split(",").map(parseValue)];
      }),
    );
  }
  const sample = take(argv, "--sample", true);
  if (sample.length) {
    spec.sample = Object.fromEntries(
      sample.map((s) => {
        const [key, value] = keyValue("--sample", s);
        const [kind, ...args] = value.split(":");
        return [key, { [kind]: args.map(parseValue) }];
      }),
    );
  }
  const ints: Array<[string, string]> = [
    ["--samples", "samples"],
    ["--max-failures", "maxFailures"],
    ["--cpus-per-trial", "cpusPerTrial"],
    ["--max-concurrent", "maxConcurrent"],
    ["--search-seed", "searchSeed"],
  ];
  for (const [flag, field] of ints) {
    const v = take(argv, flag)[0];
    if (v !== undefined) spec[field] = parseValue(v);
  }
  const scheduler = take(argv, "--scheduler")[0];
  if (scheduler !== undefined) spec.scheduler = scheduler;
  const preset = take(argv, "--preset")[0];
  if (preset !== undefined) spec.preset = preset;
  spec.base = parseConfigFlags(argv);
  return spec;
}

export async function sweepCli(args: readonly string[]): Promise<number> {
  const argv = [...args];
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const address = take(argv, "--address")[0] ?? null;
  const cpus = take(argv, "--local-cpus")[0];
  const file = take(argv, "--spec")[0];
  if (file !== undefined && argv.length > 0) {
    throw new AutoencoderLabError(
      `--spec takes the whole sweep from the file; remove ${argv.join(" ")} (or put it in the spec).`,
    );
  }
  const spec = file !== undefined ? loadSweepSpec(file) : validateSweepSpec(specFromFlags(argv));
  const where = address ?? process.env.RAY_ADDRESS ?? "local Ray";
  console.error(
    `sweep ${spec.name}: ${trialCount(spec)} trials on ${where}, ${spec.cpusPerTrial} CPU each`,
  );
  const controller = new AbortController();
  const onSigint = () => {
    console.error("\ninterrupt: stopping the sweep; run the same command again to resume");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  const started = performance.now();
  let result: SweepResult;
  try {
    result = await runSweep(spec, {
      address,
      localCpus: cpus === undefined ? null : Number(cpus),
      signal: controller.signal,
      onProgress: terminalSweepProgress(),
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
  console.log(sweepTable(result));
  console.log(
    `sweep ${spec.name}: ${result.trials.length} trials in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${result.folder}/results.json`,
  );
  return result.trials.every((t) => t.status !== "failed" && !t.error) ? 0 : 1;
}

if (require.main === module) {
  sweepCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof AutoencoderLabError ? `error: ${error.message}` : error);
      process.exit(1);
    },
  );
}
