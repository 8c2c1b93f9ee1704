/**
 * Rendering the report figures of one saved run into <out>/<run>/<figure>.<format>, plus a
 * manifest figures.json. Files are written atomically; a figure that fails is reported and the
 * others still render.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { displayPath } from "../paths";
import { writeJsonAtomic } from "../runs/atomic";
import { saveFigure } from "./save";
import type { FigureRenderer, ImageFormat } from "./renderer";
import { renderSize } from "./renderer";
import { REPORT_FIGURES, type ReportFigure } from "./report-figures";
import type { ReportRun } from "./report-run";

export interface ReportRenderOptions {
  /** Folder that receives one sub-folder per run. */
  outDir: string;
  formats: readonly ImageFormat[];
  /** CSS size overrides (default each figure's own size). */
  width?: number;
  height?: number;
  /** Device pixels per CSS pixel in PNGs. Default 1. */
  scale?: number;
  /** The figures to render. Default REPORT_FIGURES. */
  figures?: readonly ReportFigure[];
  /** Called after each figure (printing one line per figure). */
  onFigure?: (outcome: FigureOutcome) => void;
}

export interface WrittenFile {
  format: ImageFormat;
  /** Path relative to the manifest's folder. */
  file: string;
  /** Image size: device pixels for PNG, CSS pixels for SVG. */
  width: number;
  height: number;
  bytes: number;
}

export type FigureOutcome =
  | {
      figure: string;
      run: string;
      status: "written";
      files: WrittenFile[];
      seconds: number;
      folder: string;
    }
  | { figure: string; run: string; status: "skipped"; reason: string }
  | { figure: string; run: string; status: "failed"; error: string };

/** The manifest written as <out>/<run>/figures.json. */
export interface FiguresManifest {
  run: string;
  runFolder: string;
  scale: number;
  figures: {
    figure: string;
    describe: string;
    cssWidth: number;
    cssHeight: number;
    files: WrittenFile[];
  }[];
  skipped: { figure: string; reason: string }[];
  failed: { figure: string; error: string }[];
}

export const MANIFEST_FILE = "figures.json";

/** Render every report figure of `run`; returns the manifest it wrote. */
export async function renderReportFigures(
  renderer: FigureRenderer,
  run: ReportRun,
  options: ReportRenderOptions,
): Promise<FiguresManifest> {
  const folder = path.join(options.outDir, run.name);
  fs.mkdirSync(folder, { recursive: true });
  const scale = options.scale ?? 1;
  const manifest: FiguresManifest = {
    run: run.name,
    runFolder: displayPath(run.folder),
    scale,
    figures: [],
    skipped: [],
    failed: [],
  };
  for (const entry of options.figures ?? REPORT_FIGURES) {
    const started = performance.now();
    let outcome: FigureOutcome;
    try {
      const fig = await entry.build(run);
      if (fig === null) {
        const reason = entry.skipReason ?? "not applicable to this run";
        manifest.skipped.push({ figure: entry.name, reason });
        outcome = { figure: entry.name, run: run.name, status: "skipped", reason };
      } else {
        const { width, height } = renderSize(fig, options);
        const files: WrittenFile[] = [];
        for (const format of options.formats) {
          const file = `${entry.name}.${format}`;
          // SVG is vector: saveFigure keeps its intrinsic size the CSS size (the manifest's numbers).
          const saved = await saveFigure(fig, path.join(folder, file), {
            renderer,
            width,
            height,
            scale,
          });
          files.push({
            format,
            file,
            width: saved.width,
            height: saved.height,
            bytes: saved.bytes,
          });
        }
        manifest.figures.push({
          figure: entry.name,
          describe: entry.describe,
          cssWidth: width,
          cssHeight: height,
          files,
        });
        outcome = {
          figure: entry.name,
          run: run.name,
          status: "written",
          files,
          folder,
          seconds: (performance.now() - started) / 1000,
        };
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      manifest.failed.push({ figure: entry.name, error: message });
      outcome = { figure: entry.name, run: run.name, status: "failed", error: message };
    }
    options.onFigure?.(outcome);
  }
  writeJsonAtomic(path.join(folder, MANIFEST_FILE), manifest);
  return manifest;
}
