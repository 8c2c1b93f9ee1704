/**
 * Showing a sweep: a line per trial event in a terminal, one HTML table of every trial redrawn in
 * place in a notebook, and the finished trials as table rows (for sorting and figures).
 */
import { THEME } from "../plots/theme";
import type { SweepEvent, SweepResult, SweepTrial, TrialProgress } from "./runner";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function shortNode(id: string | null): string {
  return id ? id.slice(0, 6) : "";
}

function formatParam(value: unknown): string {
  if (typeof value === "number" && !Number.isInteger(value))
    return String(Number(value.toPrecision(3)));
  return typeof value === "string" ? value : JSON.stringify(value);
}

function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k.split(".").pop()}=${formatParam(v)}`)
    .join(" ");
}

/** One line per trial event on stderr (works in logs and CI, where nothing redraws). */
export function terminalSweepProgress(
  stream: NodeJS.WritableStream = process.stderr,
): (trials: readonly TrialProgress[], event: SweepEvent) => void {
  return (trials, event) => {
    const t = trials.find((x) => x.trialId === event.trialId);
    const name = t?.run ?? event.trialId ?? "";
    switch (event.event) {
      case "ray":
        stream.write(
          `ray: ${String(event.address)}, ${String(event.cpus)} CPUs, ${(event.nodes as string[]).length} node(s)\n`,
        );
        break;
      case "restore":
        stream.write(`resuming the sweep from ${String(event.path)}\n`);
        break;
      case "trial-start":
        stream.write(`${name}: started (attempt ${t?.attempts}) ${paramsText(t?.params ?? {})}\n`);
        break;
      case "result":
        stream.write(
          `${name}: epoch ${t?.epoch}/${t?.epochs} on node ${shortNode(t?.nodeId ?? null)} val ${t?.valLoss?.toFixed(4)} (best ${t?.bestValLoss?.toFixed(4)})\n`,
        );
        break;
      case "trial-stopping":
        stream.write(`${name}: stopped by the scheduler (ASHA) at epoch ${String(event.epoch)}\n`);
        break;
      case "trial-retry":
        stream.write(`${name}: its process died; retrying (resumes from its checkpoint)\n`);
        break;
      case "trial-error":
        stream.write(`${name}: failed after its retries\n`);
        break;
      case "trial-end":
        stream.write(`${name}: done\n`);
        break;
    }
  };
}

/** The finished trials as flat rows: run, status, each parameter, losses, node. */
export function sweepRows(result: Pick<SweepResult, "trials">): Array<Record<string, unknown>> {
  return result.trials.map((t: SweepTrial) => {
    const params = (t.config.params as Record<string, unknown>) ?? {};
    const variant = t.config.variant as { name: string } | undefined;
    return {
      run: t.run,
      status: t.status === "stopped" ? `stopped by ${t.stoppedBy ?? "scheduler"}` : t.status,
      ...(variant ? { variant: variant.name } : {}),
      ...params,
      epochs: t.epoch,
      valLoss: t.valLoss,
      bestValLoss: t.bestValLoss,
      node: shortNode(t.nodeId),
    };
  });
}

/** A plain-text table of a finished sweep (the CLI prints it). */
export function sweepTable(result: Pick<SweepResult, "trials">): string {
  const rows = sweepRows(result);
  if (rows.length === 0) return "(no trials)";
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) =>
    v === null || v === undefined ? "" : typeof v === "number" ? formatParam(v) : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join("  ");
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join("\n");
}

interface UpdatableDisplay {
  html(s: string): void;
}

/** HTML of every trial's progress (one table; a bar per trial for its epochs). */
export function sweepProgressHtml(trials: readonly TrialProgress[], title = ""): string {
  const head = ["trial", "parameters", "state", "epoch", "val loss", "best", "node"];
  const body = trials
    .map((t) => {
      const share = t.epoch && t.epochs ? t.epoch / t.epochs : 0;
      const bar = `<div style="width:80px;height:8px;background:#eee;display:inline-block;margin-right:6px"><div style="width:${Math.round(80 * share)}px;height:8px;background:${THEME.colorway[0]}"></div></div>`;
      const cells = [
        escapeHtml(t.run ?? t.trialId),
        escapeHtml(paramsText(t.params)),
        escapeHtml(t.state),
        `${bar}${t.epoch ?? 0}/${t.epochs ?? "?"}`,
        t.valLoss?.toFixed(4) ?? "",
        t.bestValLoss?.toFixed(4) ?? "",
        escapeHtml(shortNode(t.nodeId)),
      ];
      return `<tr>${cells.map((c) => `<td style="text-align:left">${c}</td>`).join("")}</tr>`;
    })
    .join("");
  return (
    `<div style="font-family:${THEME.font.family.replace(/"/g, "'")};font-size:13px">` +
    (title ? `<b>${escapeHtml(title)}</b><br>` : "") +
    `<table><thead><tr>${head.map((h) => `<th style="text-align:left">${h}</th>`).join("")}</tr></thead>` +
    `<tbody>${body}</tbody></table></div>`
  );
}

/**
 * A notebook progress display for runSweep's onProgress: one output, redrawn in place at most
 * every `minIntervalMs` (and on every trial start or end). `display` defaults to tslab's.
 */
export function notebookSweepProgress(
  options: { display?: UpdatableDisplay; minIntervalMs?: number; title?: string } = {},
): (trials: readonly TrialProgress[], event: SweepEvent) => void {
  const display: UpdatableDisplay =
    options.display ??
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("tslab") as { newDisplay(): UpdatableDisplay }).newDisplay();
  const minInterval = options.minIntervalMs ?? 500;
  let last = 0;
  return (trials, event) => {
    const important = event.event !== "result";
    if (!important && Date.now() - last < minInterval) return;
    last = Date.now();
    display.html(sweepProgressHtml(trials, options.title ?? ""));
  };
}
