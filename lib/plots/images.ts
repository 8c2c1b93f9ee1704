/**
 * Image grids: many small images tiled into ONE trace (a heatmap for grayscale, an `image` trace
 * for RGB), separated by transparent gaps. One trace keeps the spec compact and fast to draw,
 * unlike one subplot per image. Row 0 of every image is drawn at the top (y axis reversed).
 */
import type { ImageShape } from "../data/types";
import type { Figure, Layout, Trace } from "./figure";
import { THEME, TITLE_PLACE, baseLayout } from "./theme";

export interface ImageGridOptions {
  title?: string;
  /** A label per grid row (e.g. class names), drawn left of the row. */
  rowLabels?: readonly string[];
  /** A label per grid column, drawn above the column. */
  columnLabels?: readonly string[];
  /** On-screen size of one image side in CSS pixels. Default 2 × the image width (56 for MNIST). */
  cellSize?: number;
  /** Gap between images, in image pixels. Default 1. */
  gap?: number;
  /** Extra space below grid row i, in image pixels (e.g. room for captions). Default none. */
  rowGaps?: readonly number[];
  /** Grayscale value range mapped to black..white. Default [0, 1]. */
  range?: [number, number];
  /** Colour scale for grayscale images. Default black (0) to white (1). */
  colorscale?: string | [number, string][];
  /** Show a colour bar (grayscale only). Default false. */
  showScale?: boolean;
  /** Decimals kept per pixel value: keeps the JSON small. Default 3. */
  decimals?: number;
}

/**
 * A grid of images: `rows[i][j]` is the image drawn in grid row i, column j, as pixels
 * [height, width, channels] row-major (a view from `imageAt`), or null for an empty cell.
 * Channels 1 (grayscale, values in `range`) and 3 (RGB in [0, 1]) are supported.
 */
export function imageGridFigure(
  rows: readonly (readonly (ArrayLike<number> | null)[])[],
  shape: ImageShape,
  options: ImageGridOptions = {},
): Figure {
  const { height: h, width: w, channels } = shape;
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`Image grids draw 1 or 3 channels, got ${channels}.`);
  }
  const gap = options.gap ?? 1;
  const gridRows = rows.length;
  const gridCols = Math.max(0, ...rows.map((r) => r.length));
  // Top image row of each grid row: rows are h + gap apart, plus any extra gap below a row.
  const rowTop = gridRowTops(gridRows, h, gap, options.rowGaps);
  const last = gridRows - 1;
  const totalH = gridRows === 0 ? 0 : rowTop[last] + h + (options.rowGaps?.[last] ?? 0);
  const totalW = Math.max(0, gridCols * (w + gap) - gap);
  const scale = 10 ** (options.decimals ?? 3);
  const round = (v: number) => (Number.isFinite(v) ? Math.round(v * scale) / scale : null);

  const pixelsPerImage = h * w * channels;
  const z: unknown[][] = Array.from({ length: totalH }, () =>
    new Array(totalW).fill(channels === 1 ? null : [255, 255, 255, 0]),
  );
  rows.forEach((row, i) =>
    row.forEach((image, j) => {
      if (!image) return;
      if (image.length !== pixelsPerImage) {
        throw new RangeError(
          `Image at grid row ${i}, column ${j} has ${image.length} values, expected ${pixelsPerImage} (${h}×${w}×${channels}).`,
        );
      }
      for (let y = 0; y < h; y++) {
        const line = z[rowTop[i] + y];
        for (let x = 0; x < w; x++) {
          const p = (y * w + x) * channels;
          line[j * (w + gap) + x] =
            channels === 1
              ? round(image[p])
              : [0, 1, 2]
                  .map((c) => Math.round(255 * Math.min(1, Math.max(0, image[p + c]))))
                  .concat(1);
        }
      }
    }),
  );

  const [zmin, zmax] = options.range ?? [0, 1];
  const trace: Trace =
    channels === 1
      ? {
          type: "heatmap",
          z,
          zmin,
          zmax,
          colorscale: options.colorscale ?? THEME.grayscale.map(([v, c]) => [v, c]),
          showscale: options.showScale ?? false,
          hoverongaps: false,
          hovertemplate: "%{z}<extra></extra>",
        }
      : { type: "image", z, colormodel: "rgba", hoverinfo: "skip" };

  const cellSize = options.cellSize ?? 2 * w;
  const pxPerPixel = cellSize / w;
  const centres = (n: number, size: number) =>
    Array.from({ length: n }, (_, k) => k * (size + gap) + (size - 1) / 2);
  const hasTitle = Boolean(options.title);
  const margin = {
    l: options.rowLabels ? 110 : 10,
    r: options.showScale && channels === 1 ? 90 : 10,
    t: (hasTitle ? 60 : 10) + (options.columnLabels ? 30 : 0),
    b: 10,
  };
  const hiddenAxis = { showgrid: false, zeroline: false, ticks: "", showline: false };
  const layout: Layout = {
    ...baseLayout(options.title),
    width: Math.round(margin.l + margin.r + totalW * pxPerPixel),
    height: Math.round(margin.t + margin.b + totalH * pxPerPixel),
    margin,
    xaxis: {
      ...hiddenAxis,
      range: [-0.5, totalW - 0.5],
      side: "top",
      showticklabels: Boolean(options.columnLabels),
      ...(options.columnLabels
        ? { tickmode: "array", tickvals: centres(gridCols, w), ticktext: [...options.columnLabels] }
        : {}),
      constrain: "domain",
    },
    yaxis: {
      ...hiddenAxis,
      // Reversed: image row 0 (the top of a digit) is drawn at the top.
      range: [totalH - 0.5, -0.5],
      autorange: false,
      showticklabels: Boolean(options.rowLabels),
      ...(options.rowLabels
        ? {
            tickmode: "array",
            tickvals: rowTop.map((top) => top + (h - 1) / 2),
            ticktext: [...options.rowLabels],
          }
        : {}),
      scaleanchor: "x",
      scaleratio: 1,
      constrain: "domain",
    },
    ...(hasTitle
      ? { title: { text: options.title, ...TITLE_PLACE, x: 0.01, xanchor: "left" } }
      : {}),
  };
  return { data: [trace], layout };
}

/** The top image row of each of `count` grid rows (image pixels), given the extra row gaps. */
export function gridRowTops(
  count: number,
  height: number,
  gap: number,
  rowGaps: readonly number[] = [],
): number[] {
  const tops: number[] = [];
  let top = 0;
  for (let i = 0; i < count; i++) {
    tops.push(top);
    top += height + gap + (rowGaps[i] ?? 0);
  }
  return tops;
}
