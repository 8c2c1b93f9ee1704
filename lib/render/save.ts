/** Saving one figure to a .png or .svg file (format from the extension, written atomically). */
import * as path from "node:path";
import type { Figure } from "../plots/figure";
import { writeFileAtomic } from "../runs/atomic";
import { RenderError } from "./chromium";
import {
  renderFigure,
  renderSize,
  type FigureRenderer,
  type ImageFormat,
  type RenderOptions,
  type RendererOptions,
} from "./renderer";

export interface SavedFigure {
  file: string;
  format: ImageFormat;
  /** Image size: device pixels for PNG (CSS size × scale), CSS pixels for SVG. */
  width: number;
  height: number;
  bytes: number;
}

/**
 * Render `fig` into `file` (.png or .svg; the folder must exist). Pass `renderer` to reuse one
 * browser for several figures; without it Chromium is launched for this figure alone.
 */
export async function saveFigure(
  fig: Figure,
  file: string,
  options: Omit<RenderOptions, "format"> & RendererOptions & { renderer?: FigureRenderer } = {},
): Promise<SavedFigure> {
  const ext = path.extname(file).toLowerCase();
  if (ext !== ".png" && ext !== ".svg") {
    throw new RenderError(`Cannot tell the image format of ${file}: name the file .png or .svg.`);
  }
  const format = ext.slice(1) as ImageFormat;
  const scale = format === "png" ? (options.scale ?? 1) : 1;
  const { width, height } = renderSize(fig, options);
  const bytes = await renderFigure(fig, { ...options, format, width, height, scale });
  writeFileAtomic(file, bytes);
  return {
    file,
    format,
    width: Math.round(width * scale),
    height: Math.round(height * scale),
    bytes: bytes.length,
  };
}
