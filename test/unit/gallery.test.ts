// Reconstruction galleries (lib/plots/gallery.ts): the spec holds originals above their
// reconstructions, labelled rows, and one annotation per label and per error.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bestWorstGalleryFigure,
  reconstructionGalleryFigure,
  type GalleryExample,
} from "../../lib/plots/gallery";

const SHAPE = { height: 3, width: 2, channels: 1 };
/** A 3×2 image whose every pixel is `v`. */
const flat = (v: number) => new Float32Array(6).fill(v);
const example = (v: number, extra: Partial<GalleryExample> = {}): GalleryExample => ({
  original: flat(v),
  reconstruction: flat(v + 0.05),
  ...extra,
});

test("originals above reconstructions, block by block, in one heatmap", () => {
  const fig = reconstructionGalleryFigure(
    [
      [example(0.1), example(0.2)],
      [example(0.3), null],
    ],
    SHAPE,
    { columnLabels: ["a", "b"], title: "Gallery" },
  );
  assert.equal(fig.data.length, 1);
  const z = fig.data[0].z as (number | null)[][];
  // 4 grid rows of 3 pixels with 1-pixel gaps; 2 columns of 2 pixels.
  assert.equal(z.length, 4 * 3 + 3);
  assert.equal(z[0].length, 2 * 2 + 1);
  assert.equal(z[0][0], 0.1); // block 0 original, column 0
  assert.equal(z[4][0], 0.15); // block 0 reconstruction, column 0 (row 4 = 3 + gap)
  assert.equal(z[4][3], 0.25); // block 0 reconstruction, column 1
  assert.equal(z[8][0], 0.3); // block 1 original
  assert.equal(z[12][1], 0.35); // block 1 reconstruction
  assert.equal(z[8][3], null); // the empty cell
  assert.equal(z[3][0], null); // gap row
  const yaxis = fig.layout.yaxis as { ticktext: string[]; tickvals: number[] };
  assert.deepEqual(yaxis.ticktext, ["original", "reconstruction", "original", "reconstruction"]);
  assert.deepEqual(yaxis.tickvals, [1, 5, 9, 13]);
  assert.deepEqual((fig.layout.xaxis as { ticktext: string[] }).ticktext, ["a", "b"]);
  assert.equal(fig.layout.annotations, undefined); // no labels or errors given
});

test("labels at the top-left of originals, errors in a strip below reconstructions (not over the digits)", () => {
  const fig = reconstructionGalleryFigure(
    [[example(0.1, { label: "7", error: 0.0712 }), example(0.2, { error: 0.5 })]],
    SHAPE,
    { errorName: "BCE", errorDigits: 2 },
  );
  const notes = fig.layout.annotations as Record<string, unknown>[];
  assert.deepEqual(
    notes.map((n) => [n.text, n.x, n.y, n.xanchor, n.yanchor]),
    [
      ["7", -0.5, -0.5, "left", "top"],
      ["BCE 0.07", 0.5, 6.5, "center", "top"],
      ["BCE 0.50", 3.5, 6.5, "center", "top"],
    ],
  );
  // The strip below the reconstruction row: empty pixels the caption hangs into.
  const z = fig.data[0].z as (number | null)[][];
  assert.equal(z.length, 2 * 3 + 1 + 7, "two rows of 3 pixels, a gap and a 7-pixel caption strip");
  assert.ok(z.slice(7).every((row) => row.every((v) => v === null)));
  assert.ok(notes.every((n) => n.xref === "x" && n.yref === "y" && n.showarrow === false));
});

test("best/worst gallery: two named blocks", () => {
  const fig = bestWorstGalleryFigure(
    [example(0.1, { error: 0.01 })],
    [example(0.9, { error: 0.4 })],
    SHAPE,
    {
      errorName: "SSIM",
    },
  );
  const yaxis = fig.layout.yaxis as { ticktext: string[] };
  assert.deepEqual(yaxis.ticktext, [
    "best<br>original",
    "best<br>reconstruction",
    "worst<br>original",
    "worst<br>reconstruction",
  ]);
  const texts = (fig.layout.annotations as { text: string }[]).map((n) => n.text);
  assert.deepEqual(texts, ["SSIM 0.010", "SSIM 0.400"]);
});

test("wrong sizes are errors naming the problem", () => {
  assert.throws(
    () => reconstructionGalleryFigure([[example(0.1)]], SHAPE, { blockLabels: ["a", "b"] }),
    /2 block labels for 1 blocks/,
  );
  const bad = { original: flat(0.1), reconstruction: new Float32Array(5) };
  assert.throws(
    () => reconstructionGalleryFigure([[bad]], SHAPE),
    /grid row 1, column 0 has 5 values, expected 6/,
  );
});
