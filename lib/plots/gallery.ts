/**
 * Originals next to their reconstructions. A gallery is made of blocks (e.g. "first example of
 * every digit", "second example", or "best", "worst"); each block is two grid rows: the
 * originals on top, their reconstructions right below, one example per column. It is one
 * {@link imageGridFigure} (a single heatmap trace) plus small text annotations: the example's
 * label in the top-left corner of the original, its error in a strip right below the
 * reconstruction (never over the digit).
 */
import type { ImageShape } from "../data/types";
import type { Figure } from "./figure";
import { gridRowTops, imageGridFigure } from "./images";

/** Room below each reconstruction row for the error captions, in image pixels. */
const CAPTION_GAP = 7;

/** One image and its reconstruction, both [height, width, channels] row-major. */
export interface GalleryExample {
  original: ArrayLike<number>;
  reconstruction: ArrayLike<number>;
  /** Short text drawn in the original's top-left corner (e.g. the class, "7"). */
  label?: string;
  /** The reconstruction's error (e.g. its BCE), drawn right below the reconstruction. */
  error?: number;
}

export interface ReconstructionGalleryOptions {
  title?: string;
  /** One name per block (e.g. "best", "worst"): row labels become "best<br>original", … */
  blockLabels?: readonly string[];
  /** A label per column, drawn above the gallery (e.g. the digit of each column). */
  columnLabels?: readonly string[];
  /** Name put before each error value. Default "error". */
  errorName?: string;
  /** Decimals of the error values. Default 3. */
  errorDigits?: number;
  /** On-screen size of one image side in CSS pixels. Default 2 × the image width. */
  cellSize?: number;
  /** Font size of the label and error annotations. Default 9. */
  annotationFontSize?: number;
}

/**
 * A gallery of originals over reconstructions. `blocks[b][j]` is the example in column j of
 * block b, or null for an empty column. Rows top to bottom: block 0's originals, block 0's
 * reconstructions, block 1's originals, …
 */
export function reconstructionGalleryFigure(
  blocks: readonly (readonly (GalleryExample | null)[])[],
  shape: ImageShape,
  options: ReconstructionGalleryOptions = {},
): Figure {
  if (options.blockLabels && options.blockLabels.length !== blocks.length) {
    throw new RangeError(
      `reconstructionGalleryFigure: ${options.blockLabels.length} block labels for ` +
        `${blocks.length} blocks; give one label per block or none.`,
    );
  }
  const rows = blocks.flatMap((block) => [
    block.map((e) => (e ? e.original : null)),
    block.map((e) => (e ? e.reconstruction : null)),
  ]);
  const rowLabels = blocks.flatMap((_, b) => {
    const prefix = options.blockLabels ? `${options.blockLabels[b]}<br>` : "";
    return [`${prefix}original`, `${prefix}reconstruction`];
  });
  const hasErrors = blocks.some((block) => block.some((e) => e?.error !== undefined));
  // Error captions go in a strip below each reconstruction row, not over the digits.
  const rowGaps = hasErrors ? rows.map((_, i) => (i % 2 === 1 ? CAPTION_GAP : 0)) : undefined;
  const fig = imageGridFigure(rows, shape, {
    title: options.title,
    rowLabels,
    columnLabels: options.columnLabels,
    cellSize: options.cellSize,
    rowGaps,
  });

  const gap = 1; // imageGridFigure's default gap, in image pixels
  const { height: h, width: w } = shape;
  const rowTop = gridRowTops(rows.length, h, gap, rowGaps);
  const digits = options.errorDigits ?? 3;
  const errorName = options.errorName ?? "error";
  const font = { size: options.annotationFontSize ?? 9, color: "#ffffff" };
  const note = (text: string, x: number, y: number, xanchor: string, yanchor: string) => ({
    text,
    x,
    y,
    xref: "x",
    yref: "y",
    xanchor,
    yanchor,
    showarrow: false,
    font,
    bgcolor: "rgba(0,0,0,0.55)",
    borderpad: 1,
  });
  // Below the image, dark on the page: clear of the digit.
  const caption = (text: string, x: number, y: number) => ({
    ...note(text, x, y, "center", "top"),
    font: { ...font, color: "#333333" },
    bgcolor: "rgba(0,0,0,0)",
  });
  const annotations: Record<string, unknown>[] = [];
  blocks.forEach((block, b) =>
    block.forEach((example, j) => {
      if (!example) return;
      const left = j * (w + gap) - 0.5;
      const originalTop = rowTop[2 * b] - 0.5;
      const reconstructionBottom = rowTop[2 * b + 1] + h - 0.5;
      if (example.label) annotations.push(note(example.label, left, originalTop, "left", "top"));
      if (example.error !== undefined) {
        const text = `${errorName} ${example.error.toFixed(digits)}`;
        annotations.push(caption(text, left + w / 2, reconstructionBottom));
      }
    }),
  );
  if (annotations.length > 0) fig.layout.annotations = annotations;
  return fig;
}

/**
 * The best and the worst reconstructions of a set, one block each (rows "best original",
 * "best reconstruction", "worst original", "worst reconstruction"), errors annotated.
 */
export function bestWorstGalleryFigure(
  best: readonly (GalleryExample | null)[],
  worst: readonly (GalleryExample | null)[],
  shape: ImageShape,
  options: Omit<ReconstructionGalleryOptions, "blockLabels"> = {},
): Figure {
  return reconstructionGalleryFigure([best, worst], shape, {
    ...options,
    blockLabels: ["best", "worst"],
  });
}
