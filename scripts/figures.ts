/**
 * Re-render the report figures of saved runs to PNG and SVG (never trains):
 *   npm run figures                          every finished run under runs/ (not the variants)
 *   npm run figures -- --run reference       one run (repeat --run or use commas for more)
 *   npm run figures -- --format png --scale 3 --out /tmp/figs
 * Writes <out>/<run>/<figure>.<format> and <out>/<run>/figures.json; prints one line per figure.
 */
import * as path from "node:path";
import { AutoencoderLabError } from "../lib/errors";
import { displayPath, projectPath } from "../lib/paths";
import { listRuns } from "../lib/runs/list";
import {
  FigureRenderer,
  REPORT_FIGURES,
  openReportRun,
  renderReportFigures,
  type FigureOutcome,
  type ImageFormat,
  type ReportRun,
} from "../lib/render";

const USAGE = `Usage: npm run figures -- [options]

Renders the report figures of saved runs (nothing is trained) through headless Chromium into
<out>/<run>/<figure>.png|.svg, with a manifest <out>/<run>/figures.json.

  --run NAME        a run under --runs-dir (or a path); repeat or comma-separate for several.
                    Default: every finished (completed or early-stopped) run in --runs-dir, except the
                    comparison variants notebooks 07–10 train (name those with --run).
  --runs-dir DIR    where runs live (default runs; quick-preset runs: runs/quick)
  --format LIST     png, svg or png,svg (default png,svg)
  --scale N         PNG pixels per CSS pixel (default 2: sharp in documents)
  --width PX        CSS width of every figure (default each figure's own)
  --height PX       CSS height of every figure (default each figure's own)
  --out DIR         output folder (default figures)
  --only LIST       only these figures (comma-separated names)
  --list            list the report figures and exit

Figures: ${REPORT_FIGURES.map((f) => f.name).join(", ")}.
Chromium: CHROMIUM_PATH, else /usr/bin/chromium or /usr/bin/chromium-browser.`;

/** A bad command line: exit code 2. */
class UsageError extends AutoencoderLabError {}

interface FiguresArgs {
  runs: string[];
  runsDir: string;
  formats: ImageFormat[];
  scale: number;
  width?: number;
  height?: number;
  out: string;
  only?: string[];
  list: boolean;
  help: boolean;
}

function parseArgs(argv: readonly string[]): FiguresArgs {
  const args: FiguresArgs = {
    runs: [],
    runsDir: "runs",
    formats: ["png", "svg"],
    scale: 2,
    out: "figures",
    list: false,
    help: false,
  };
  const number = (flag: string, text: string) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) {
      throw new UsageError(`${flag} needs a positive number, got "${text}".`);
    }
    return value;
  };
  const list = (text: string) =>
    text
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--help" || flag === "-h") {
      args.help = true;
      continue;
    }
    if (flag === "--list") {
      args.list = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) {
      throw new UsageError(`${flag} needs a value. See npm run figures -- --help.`);
    }
    i += 1;
    switch (flag) {
      case "--run":
        args.runs.push(...list(value));
        break;
      case "--runs-dir":
        args.runsDir = value;
        break;
      case "--format": {
        const formats = list(value);
        const bad = formats.find((f) => f !== "png" && f !== "svg");
        if (bad !== undefined || formats.length === 0) {
          throw new UsageError(`--format takes png, svg or png,svg; got "${value}".`);
        }
        args.formats = [...new Set(formats)] as ImageFormat[];
        break;
      }
      case "--scale":
        args.scale = number(flag, value);
        break;
      case "--width":
        args.width = number(flag, value);
        break;
      case "--height":
        args.height = number(flag, value);
        break;
      case "--out":
        args.out = value;
        break;
      case "--only": {
        args.only = list(value);
        const known = REPORT_FIGURES.map((f) => f.name);
        const unknown = args.only.filter((n) => !known.includes(n));
        if (unknown.length > 0) {
          throw new UsageError(
            `Unknown figure ${unknown.join(", ")}: known figures are ${known.join(", ")}.`,
          );
        }
        break;
      }
      default:
        throw new UsageError(`Unknown flag ${flag}. See npm run figures -- --help.`);
    }
  }
  return args;
}

function describe(outcome: FigureOutcome): string {
  const what = `${outcome.figure.padEnd(16)} ${outcome.run}`;
  if (outcome.status === "skipped") return `skip    ${what}: ${outcome.reason}`;
  if (outcome.status === "failed") return `FAILED  ${what}: ${outcome.error}`;
  const [first] = outcome.files;
  const files = outcome.files.map((f) => f.file).join(", ");
  return `ok      ${what} -> ${displayPath(outcome.folder)}/{${files}} (${first.width}×${first.height} ${first.format}, ${outcome.seconds.toFixed(1)} s)`;
}

export async function figuresCli(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.list) {
    for (const f of REPORT_FIGURES) console.log(`${f.name.padEnd(18)} ${f.describe}`);
    return 0;
  }
  const started = performance.now();
  let names = args.runs;
  if (names.length === 0) {
    names = listRuns(args.runsDir)
      // Comparison variants of notebooks 07–10 (25 runs) only when named with --run.
      .filter((s) => !s.error && !s.variant)
      .filter((s) => s.status === "completed" || s.status === "early-stopping")
      .map((s) => s.folder);
    if (names.length === 0) {
      throw new UsageError(
        `No finished run in ${projectPath(args.runsDir)}: train one (npm run train) or name one with --run.`,
      );
    }
  }
  // Open every run first: a wrong name stops here, before Chromium starts or anything is written.
  const runs: ReportRun[] = names.map((n) => openReportRun(n, args.runsDir));
  const outDir = projectPath(args.out);
  const figures = args.only
    ? REPORT_FIGURES.filter((f) => args.only?.includes(f.name))
    : REPORT_FIGURES;
  const renderer = await FigureRenderer.launch();
  let written = 0;
  let skipped = 0;
  let failed = 0;
  try {
    console.log(
      `Chromium ${renderer.browserVersion} (${renderer.executablePath}), plotly loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const run of runs) {
      try {
        await renderReportFigures(renderer, run, {
          outDir,
          formats: args.formats,
          scale: args.scale,
          width: args.width,
          height: args.height,
          figures,
          onFigure: (outcome) => {
            if (outcome.status === "written") written += 1;
            else if (outcome.status === "skipped") skipped += 1;
            else failed += 1;
            console.log(describe(outcome));
          },
        });
      } finally {
        run.dispose();
      }
    }
  } finally {
    await renderer.close();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${written} figure${written === 1 ? "" : "s"} written (${args.formats.join("+")}, scale ${args.scale}) for ${runs.length} run${runs.length === 1 ? "" : "s"}` +
      `${skipped ? `, ${skipped} skipped` : ""}${failed ? `, ${failed} FAILED` : ""} in ${seconds.toFixed(1)} s -> ${displayPath(outDir)}${path.sep}<run>${path.sep}figures.json`,
  );
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  figuresCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof AutoencoderLabError ? `error: ${error.message}` : error);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
