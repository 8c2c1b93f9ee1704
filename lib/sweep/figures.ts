/**
 * Figures and tables of a finished sweep (notebook 11): a table that sorts by any column when its
 * header is clicked, validation loss against each swept hyperparameter, and a parallel-coordinates
 * figure of every trial. Builders return plain figure specs or HTML, as the rest of lib/plots does.
 */
import { initBackend } from "../backend/select";
import { loadDataset, prepareDataset } from "../data";
import { selectImages } from "../data/prepare";
import { pixelsPerImage } from "../data/types";
import type { Figure, Trace } from "../plots/figure";
import { imageGridFigure } from "../plots/images";
import { modelReconstructor } from "../quality/reconstruction-analysis";
import { loadRun, loadRunModel } from "../runs/run-folder";
import { THEME } from "../plots/theme";
import { SweepError, type SweepResult, type SweepTrial } from "./runner";
import { dottedOverrides, quickRequested, type ConfigOverrides } from "../config";
import { sweepRows } from "./progress";
import { validateSweepSpec, type SweepSpec } from "./spec";

/** The swept parameters of a sweep (keys of the trials' params), in first-seen order. */
export function sweptParameters(result: Pick<SweepResult, "trials">): string[] {
  return [
    ...new Set(
      result.trials.flatMap((t) => Object.keys((t.config.params as Record<string, unknown>) ?? {})),
    ),
  ];
}

function paramOf(t: SweepTrial, key: string): unknown {
  return ((t.config.params as Record<string, unknown>) ?? {})[key];
}

/** The trial with the lowest best validation loss among those with one (null: none). */
export function bestTrial(result: Pick<SweepResult, "trials">): SweepTrial | null {
  const scored = result.trials.filter((t) => typeof t.bestValLoss === "number");
  if (scored.length === 0) return null;
  return scored.reduce((a, b) => ((b.bestValLoss as number) < (a.bestValLoss as number) ? b : a));
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * An HTML table of the trials, sorted by `sortBy` (ascending), whose headers re-sort it when
 * clicked (a small inline script: works in JupyterLab; a static or untrusted view keeps the
 * initial order).
 */
export function sweepTableHtml(
  result: Pick<SweepResult, "trials">,
  sortBy = "bestValLoss",
): string {
  const rows = sweepRows(result);
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const value = (v: unknown) => (typeof v === "number" ? v : Number.POSITIVE_INFINITY);
  rows.sort((a, b) =>
    typeof a[sortBy] === "number" || typeof b[sortBy] === "number"
      ? value(a[sortBy]) - value(b[sortBy])
      : String(a[sortBy] ?? "").localeCompare(String(b[sortBy] ?? "")),
  );
  const cell = (v: unknown) =>
    v === null || v === undefined
      ? ""
      : typeof v === "number"
        ? String(Number.isInteger(v) ? v : Number(v.toPrecision(4)))
        : escapeHtml(String(v));
  const id = `sweep-table-${Math.random().toString(36).slice(2, 10)}`;
  const head = columns
    .map(
      (c, i) =>
        `<th style="cursor:pointer;text-align:left" onclick="aeSortTable('${id}',${i})">${escapeHtml(c)} ⇅</th>`,
    )
    .join("");
  const body = rows
    .map(
      (r) =>
        `<tr>${columns.map((c) => `<td style="text-align:left" data-v="${typeof r[c] === "number" ? r[c] : ""}">${cell(r[c])}</td>`).join("")}</tr>`,
    )
    .join("\n");
  const script =
    `<script>window.aeSortTable=function(id,col){var t=document.getElementById(id);` +
    `var b=t.tBodies[0];var rows=Array.from(b.rows);var up=t.dataset.col==String(col)&&t.dataset.dir!='down';` +
    `rows.sort(function(x,y){var a=x.cells[col],c=y.cells[col];var u=a.dataset.v,v=c.dataset.v;` +
    `var d=(u!==''&&v!=='')?(Number(u)-Number(v)):a.textContent.localeCompare(c.textContent);return up?-d:d;});` +
    `t.dataset.col=String(col);t.dataset.dir=up?'down':'up';rows.forEach(function(r){b.appendChild(r);});};</script>`;
  return (
    `<table id="${id}" class="dataframe" style="font-family:${THEME.font.family.replace(/"/g, "'")}">` +
    `<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${script}`
  );
}

function isLogScale(values: number[]): boolean {
  const positive = values.filter((v) => v > 0);
  return positive.length === values.length && Math.max(...positive) / Math.min(...positive) >= 20;
}

/** Best validation loss against each swept parameter: one panel per parameter, a point per trial. */
export function lossByParameterFigure(
  result: Pick<SweepResult, "trials">,
  options: { title?: string } = {},
): Figure {
  const params = sweptParameters(result);
  const trials = result.trials.filter((t) => typeof t.bestValLoss === "number");
  const data: Trace[] = params.map((key, i) => ({
    type: "scatter",
    mode: "markers",
    name: key,
    x: trials.map((t) => paramOf(t, key)),
    y: trials.map((t) => t.bestValLoss),
    text: trials.map((t) => `${t.run} (${t.status})`),
    marker: {
      size: 9,
      color: trials.map((t) =>
        t.status === "stopped" ? "#bbbbbb" : THEME.colorway[i % THEME.colorway.length],
      ),
    },
    xaxis: i === 0 ? "x" : `x${i + 1}`,
    yaxis: "y",
    showlegend: false,
  }));
  const layout: Record<string, unknown> = {
    title: {
      text:
        options.title ?? "Best validation loss against each hyperparameter (grey: stopped by ASHA)",
    },
    yaxis: { title: { text: "best validation loss" } },
    height: 360,
    width: Math.max(420, 320 * params.length),
  };
  params.forEach((key, i) => {
    const numbers = trials
      .map((t) => paramOf(t, key))
      .filter((v): v is number => typeof v === "number");
    layout[i === 0 ? "xaxis" : `xaxis${i + 1}`] = {
      title: { text: key },
      domain: [i / params.length + 0.03, (i + 1) / params.length - 0.03],
      anchor: "y",
      ...(numbers.length === trials.length && isLogScale(numbers) ? { type: "log" } : {}),
    };
  });
  return { data, layout };
}

/** Every trial as a line across its parameters and its best validation loss (plotly parcoords). */
export function parallelCoordinatesFigure(
  result: Pick<SweepResult, "trials">,
  options: { title?: string } = {},
): Figure {
  const params = sweptParameters(result);
  const trials = result.trials.filter((t) => typeof t.bestValLoss === "number");
  const dimension = (label: string, values: unknown[]) => {
    if (values.every((v) => typeof v === "number")) {
      const numbers = values as number[];
      if (isLogScale(numbers)) {
        return { label: `log10 ${label}`, values: numbers.map((v) => Math.log10(v)) };
      }
      return { label, values: numbers };
    }
    const names = [...new Set(values.map((v) => String(v)))];
    return {
      label,
      values: values.map((v) => names.indexOf(String(v))),
      tickvals: names.map((_, i) => i),
      ticktext: names,
    };
  };
  const losses = trials.map((t) => t.bestValLoss as number);
  return {
    data: [
      {
        type: "parcoords",
        line: { color: losses, colorscale: "Viridis", reversescale: true, showscale: true },
        dimensions: [
          ...params.map((key) =>
            dimension(
              key,
              trials.map((t) => paramOf(t, key)),
            ),
          ),
          { label: "best validation loss", values: losses },
        ],
      },
    ],
    layout: {
      title: {
        text: options.title ?? "Trials across their hyperparameters (colour: best validation loss)",
      },
      height: 380,
    },
  };
}

/** What notebook 11's parameters cell sets. */
export interface NotebookSweepParameters {
  name: string;
  /**
   * Config overrides every trial shares (its configOverrides, e.g. {"train.epochs": 4}); at full
   * settings only: under AE_QUICK=1 the quick preset's epochs and data limits stay, as in the
   * variant notebooks, and only train.runsDir is kept.
   */
  base: ConfigOverrides;
  codeSizes: number[];
  learningRates: number[];
  scheduler: "fifo" | "asha";
}

/**
 * Notebook 11's sweep: a grid of code size × learning rate over the notebook's base overrides.
 * Under AE_QUICK=1 the quick preset's settings stay, so the notebook test stays short.
 */
export function notebookSweepSpec(p: NotebookSweepParameters): SweepSpec {
  const quick = quickRequested();
  const base = dottedOverrides(p.base);
  const runsDir = base["train.runsDir"];
  return validateSweepSpec({
    name: p.name,
    preset: quick ? "quick" : "default",
    base: quick ? (runsDir === undefined ? {} : { "train.runsDir": runsDir }) : base,
    grid: { "model.codeSize": p.codeSizes, "train.learningRate": p.learningRates },
    scheduler: p.scheduler,
  });
}

/**
 * The best trial's reconstructions: its first `count` test images (top row) over what its saved
 * model makes of them (bottom row). Loads the trial's run folder (model and dataset).
 */
export async function trialReconstructionsFigure(
  trial: Pick<SweepTrial, "folder" | "run">,
  count = 10,
): Promise<Figure> {
  if (!trial.folder) throw new SweepError(`Trial ${trial.run} has no run folder to load.`);
  const run = loadRun(trial.folder);
  if (run.record.status !== "completed" && run.record.status !== "early-stopping") {
    throw new SweepError(
      `Run ${run.record.name} is ${run.record.status}, not finished: it has no final model to show.`,
    );
  }
  await initBackend(run.config.train.backend);
  const data = prepareDataset(await loadDataset(run.config.data), run.config.data, run.config.seed);
  const model = await loadRunModel(run);
  try {
    const n = Math.min(count, data.test.count);
    const picked = selectImages(
      data.test,
      data.shape,
      Array.from({ length: n }, (_, i) => i),
    );
    const reconstructed = modelReconstructor(model, data.shape)(picked);
    const size = pixelsPerImage(data.shape);
    const row = (pixels: Float32Array) =>
      Array.from({ length: n }, (_, i) => pixels.subarray(i * size, (i + 1) * size));
    const figure = imageGridFigure([row(picked.images), row(reconstructed)], data.shape);
    figure.layout.title = {
      text: `Best trial ${run.record.name}: test images (top) and its reconstructions (bottom)`,
    };
    return figure;
  } finally {
    model.dispose();
  }
}
