/**
 * Progress reporters for runExperiment.
 * - terminal: one progress bar (cli-progress) with loss, samples/s and ETA, plus a line per epoch;
 * - notebook: a single output updated in place (tslab newDisplay) with the loss curves so far as
 *   an inline SVG and one progress line: no scrolling log, and it renders in exported HTML too
 *   (no scripts). Plotly outputs are not used for live updates: JupyterLab may not redraw them.
 */
import { displayPath } from "../paths";
import { THEME } from "../plots/theme";
import type { ExperimentOutcome, ProgressReporter, RunStart } from "./experiment";
import type { BatchProgress, EpochRecord } from "./trainer";

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(1)}s`;
}

/** One line describing an epoch, e.g. "epoch 3/25  train 0.0955  val 0.0921  4.9s  10,971/s". */
export function epochLine(r: EpochRecord, epochs: number): string {
  return (
    `epoch ${r.epoch}/${epochs}  train ${r.trainLoss.toFixed(4)}  val ${r.valLoss.toFixed(4)}  ` +
    `${r.epochSeconds.toFixed(1)}s  ${Math.round(r.samplesPerSecond).toLocaleString("en-US")}/s`
  );
}

/** One line summarising how a run ended. */
export function outcomeLine(o: ExperimentOutcome): string {
  const last = o.result.history[o.result.history.length - 1];
  const val = last
    ? `final val ${last.valLoss.toFixed(4)}, best epoch ${o.result.bestEpoch}`
    : "no epoch finished";
  const epochs = o.result.history.length;
  return `run ${o.runName}: ${o.result.stopReason} after ${epochs} epoch${epochs === 1 ? "" : "s"} in ${formatSeconds(o.seconds)} (${val}) -> ${displayPath(o.folder)}`;
}

/** A terminal reporter (writes to stderr so stdout stays clean for piping). */
export function terminalReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  // Lazy: cli-progress is only needed in a terminal.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cliProgress = require("cli-progress") as typeof import("cli-progress");
  let bar: import("cli-progress").SingleBar | null = null;
  let epochs = 0;
  const interactive = Boolean(stream.isTTY);
  return {
    start(info: RunStart) {
      epochs = info.epochs;
      if (info.firstEpoch > info.epochs) {
        stream.write(
          `run ${info.runName}: all ${info.epochs} epochs already trained, nothing to train ` +
            `(add --epochs N to --resume to extend it to N); evaluating the final model\n`,
        );
        return;
      }
      stream.write(
        `run ${info.runName} on ${info.backend}: ${info.parameters.toLocaleString("en-US")} parameters, ` +
          `${info.trainCount} train / ${info.validationCount} validation images, epochs ${info.firstEpoch}..${info.epochs}\n`,
      );
    },
    batch(p: BatchProgress) {
      if (!interactive) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format:
              "epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | {speed}/s | ETA {eta_formatted}",
            stream,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.batches, 0, { epoch: p.epoch, epochs: p.epochs, loss: "-", speed: "-" });
      }
      bar.update(p.batch, {
        epoch: p.epoch,
        loss: p.loss.toFixed(4),
        speed: Math.round(p.samplesPerSecond),
      });
    },
    epoch(record: EpochRecord) {
      bar?.stop();
      bar = null;
      stream.write(`${epochLine(record, epochs)}\n`);
    },
    end(outcome: ExperimentOutcome) {
      bar?.stop();
      bar = null;
      stream.write(`${outcomeLine(outcome)}\n`);
    },
  };
}

/**
 * An inline SVG line chart of train and validation loss per epoch (no scripts, renders anywhere),
 * drawn like the final loss-curves figure: one colour, training dashed, validation solid. Before
 * the first epoch ends there is nothing to plot, and it says so instead of drawing an empty frame.
 */
export function lossCurvesSvg(
  history: readonly EpochRecord[],
  epochs: number,
  width = 480,
  height = 220,
): string {
  const font = THEME.font.family.replace(/"/g, "'");
  const text = (tx: number, ty: number, s: string, anchor = "start") =>
    `<text x="${tx}" y="${ty}" font-size="11" text-anchor="${anchor}" fill="#444">${s}</text>`;
  if (history.length === 0) {
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="28" font-family="${font}">` +
      `${text(0, 18, "The loss curves appear here when epoch 1 ends.")}</svg>`
    );
  }
  const pad = { l: 56, r: 110, t: 14, b: 34 };
  const values = history.flatMap((r) => [r.trainLoss, r.valLoss]).filter(Number.isFinite);
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const span = hi - lo || Math.abs(hi) || 1;
  const x = (epoch: number) =>
    pad.l + ((epoch - 1) / Math.max(1, epochs - 1)) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - lo) / span) * (height - pad.t - pad.b);
  const color = THEME.colorway[0];
  const dash = 'stroke-dasharray="6 4"';
  const line = (key: "trainLoss" | "valLoss", style: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" ${style} points="${history
      .map((r) => `${x(r.epoch).toFixed(1)},${y(r[key]).toFixed(1)}`)
      .join(" ")}"/>` +
    history
      .map(
        (r) =>
          `<circle cx="${x(r.epoch).toFixed(1)}" cy="${y(r[key]).toFixed(1)}" r="2.5" fill="${color}"/>`,
      )
      .join("");
  const key = (ky: number, style: string) =>
    `<line x1="${width - pad.r + 12}" y1="${ky}" x2="${width - pad.r + 32}" y2="${ky}" stroke="${color}" stroke-width="2" ${style}/>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${font}">`,
    `<rect x="${pad.l}" y="${pad.t}" width="${width - pad.l - pad.r}" height="${height - pad.t - pad.b}" fill="none" stroke="#ccc"/>`,
    text(pad.l - 6, pad.t + 10, hi.toFixed(4), "end"),
    text(pad.l - 6, height - pad.b, lo.toFixed(4), "end"),
    text(pad.l, height - 10, "epoch 1"),
    text(width - pad.r, height - 10, `epoch ${epochs}`, "end"),
    line("trainLoss", dash),
    line("valLoss", ""),
    key(24, dash),
    text(width - pad.r + 36, 28, "train"),
    key(44, ""),
    text(width - pad.r + 36, 48, "validation"),
    `</svg>`,
  ].join("");
}

interface UpdatableDisplay {
  html(s: string): void;
}

/**
 * A notebook reporter: one output, redrawn at most every `minIntervalMs` during an epoch and at
 * every epoch end. `display` defaults to a new tslab display (tslab is required lazily).
 */
export function notebookReporter(
  options: { display?: UpdatableDisplay; minIntervalMs?: number } = {},
): ProgressReporter {
  const minInterval = options.minIntervalMs ?? 1000;
  const display: UpdatableDisplay =
    options.display ??
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("tslab") as { newDisplay(): UpdatableDisplay }).newDisplay();
  let start: RunStart | null = null;
  let history: readonly EpochRecord[] = [];
  let status = "starting…";
  let lastDraw = 0;
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const draw = () => {
    lastDraw = Date.now();
    const head = start
      ? `<b>${escape(start.runName)}</b> on ${escape(start.backend)} · ${start.parameters.toLocaleString("en-US")} parameters · ${start.trainCount} train / ${start.validationCount} validation images`
      : "";
    display.html(
      `<div style="font-family:${THEME.font.family.replace(/"/g, "'")};font-size:13px">${head}<br>` +
        `${lossCurvesSvg(history, start?.epochs ?? 1)}<br><code>${escape(status)}</code></div>`,
    );
  };
  return {
    start(info) {
      start = info;
      status =
        info.firstEpoch > info.epochs
          ? `all ${info.epochs} epochs already trained: nothing to train (set \`"train.epochs"\` in configOverrides with \`resume = true\` to extend it); evaluating`
          : `starting at epoch ${info.firstEpoch}/${info.epochs}`;
      draw();
    },
    batch(p) {
      if (Date.now() - lastDraw < minInterval) return;
      status = `epoch ${p.epoch}/${p.epochs} · batch ${p.batch}/${p.batches} · loss ${p.loss.toFixed(4)} · ${Math.round(p.samplesPerSecond)} samples/s`;
      draw();
    },
    epoch(record, soFar) {
      history = [...soFar];
      status = epochLine(record, start?.epochs ?? record.epoch);
      draw();
    },
    end(outcome) {
      history = outcome.result.history;
      status = outcomeLine(outcome);
      draw();
    },
  };
}
