/**
 * Export codes for the TensorFlow Embedding Projector (projector.tensorflow.org or TensorBoard's
 * projector tab), where they can be explored in 3-D with PCA, t-SNE or UMAP and searched by label:
 *
 *   <folder>/
 *     tensors.tsv               n rows × dim tab-separated numbers, no header
 *     metadata.tsv              a header row, then one row per point (index, label[, class])
 *     sprite.png                the thumbnails in a grid, row-major, ceil(√n) per row
 *     projector_config.json     for the standalone projector (?config=<url of this file>)
 *     projector_config.pbtxt    for TensorBoard (--logdir <folder>)
 *
 * The projector reads a metadata file with a single column as having no header, so there are
 * always at least two columns (index and label) and the first row names them. The sprite may be
 * at most 8192 × 8192 pixels (the projector's WebGL texture limit): 292 × 292 = 85,264 MNIST
 * thumbnails; more points need a sample (or no sprite).
 *
 * The standalone projector fetches the files named in the config JSON relative to the page, so
 * for projector.tensorflow.org serve the folder somewhere public and pass `baseUrl`.
 */
import * as path from "node:path";
import { PNG } from "pngjs";
import type { ImageShape } from "../data/types";
import { AutoencoderLabError } from "../errors";
import { replaceFolder, writeFileAtomic, writeJsonAtomic } from "../runs/atomic";
import { checkPoints } from "../ml/check";

/** The projector cannot use what was asked: too many thumbnails, mismatched inputs. */
export class ProjectorError extends AutoencoderLabError {}

/** Largest sprite side the projector accepts, in pixels. */
export const MAX_SPRITE_SIDE = 8192;

export const PROJECTOR_FILES = {
  tensors: "tensors.tsv",
  metadata: "metadata.tsv",
  sprite: "sprite.png",
  configJson: "projector_config.json",
  configPbtxt: "projector_config.pbtxt",
} as const;

export interface ProjectorInput {
  /** n × dim row-major (codes, or any embedding). */
  points: Float32Array;
  n: number;
  dim: number;
  /** One class index per point (a "label" column; colour by it in the projector). */
  labels?: ArrayLike<number>;
  /** Names of the classes, indexed by label (a "class" column when they are not just the digits). */
  classNames?: readonly string[];
  /** Row of each point in its split (an "index" column; default 0..n-1). */
  indices?: ArrayLike<number>;
  /** Thumbnails: n × (height × width × channels) in [0, 1], channels last (1 or 3 channels). */
  images?: Float32Array;
  imageShape?: ImageShape;
  /** Name shown in the projector's tensor menu (default "codes"). */
  tensorName?: string;
}

export interface ProjectorOptions {
  /** Draw thumbnails dark-on-light (1 − pixel), like the projector's own MNIST demo (default false). */
  invert?: boolean;
  /** Prefix for the paths in projector_config.json (e.g. the URL the folder will be served from). */
  baseUrl?: string;
}

export interface SpriteLayout {
  /** Thumbnails per row and rows of thumbnails. */
  columns: number;
  rows: number;
  /** Sprite size in pixels. */
  width: number;
  height: number;
}

export interface ProjectorFiles {
  folder: string;
  tensors: string;
  metadata: string;
  sprite: string | null;
  configJson: string;
  configPbtxt: string;
  spriteLayout: SpriteLayout | null;
}

/**
 * The grid of n thumbnails of `shape`: ceil(√n) per row (what the projector assumes). Throws a
 * ProjectorError when the sprite would exceed 8192 pixels on a side.
 */
export function spriteLayout(n: number, shape: ImageShape): SpriteLayout {
  const columns = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / columns);
  const width = columns * shape.width;
  const height = rows * shape.height;
  if (width > MAX_SPRITE_SIDE || height > MAX_SPRITE_SIDE) {
    const fit = Math.floor(MAX_SPRITE_SIDE / Math.max(shape.width, shape.height)) ** 2;
    throw new ProjectorError(
      `A sprite of ${n} thumbnails of ${shape.width}×${shape.height} would be ${width}×${height} pixels; the projector ` +
        `accepts at most ${MAX_SPRITE_SIDE}×${MAX_SPRITE_SIDE} (${fit} thumbnails). Export a sample (sampleCodes) or leave out the images.`,
    );
  }
  return { columns, rows, width, height };
}

/** A PNG sprite of n thumbnails (row-major grid, ceil(√n) per row; empty cells black or white). */
export function spritePng(
  images: Float32Array,
  n: number,
  shape: ImageShape,
  options: { invert?: boolean } = {},
): Buffer {
  const { width: w, height: h, channels } = shape;
  if (channels !== 1 && channels !== 3) {
    throw new ProjectorError(`Thumbnails need 1 or 3 channels, got ${channels}.`);
  }
  const size = w * h * channels;
  if (images.length !== n * size) {
    throw new ProjectorError(
      `${images.length} pixel values for ${n} thumbnails of ${w}×${h}×${channels} (${n * size} expected): pass one image per point.`,
    );
  }
  const layout = spriteLayout(n, shape);
  const png = new PNG({ width: layout.width, height: layout.height });
  const background = options.invert ? 255 : 0;
  png.data.fill(background);
  for (let p = 3; p < png.data.length; p += 4) png.data[p] = 255;
  for (let i = 0; i < n; i++) {
    const x0 = (i % layout.columns) * w;
    const y0 = Math.floor(i / layout.columns) * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = i * size + (y * w + x) * channels;
        const dst = ((y0 + y) * layout.width + x0 + x) * 4;
        for (let c = 0; c < 3; c++) {
          const v = images[src + (channels === 1 ? 0 : c)];
          const unit = Math.min(1, Math.max(0, options.invert ? 1 - v : v));
          png.data[dst + c] = Math.round(unit * 255);
        }
      }
    }
  }
  return PNG.sync.write(png, { colorType: channels === 1 ? 0 : 2 });
}

/** Shortest decimal that reads back as the same float32. */
function float32Text(v: number): string {
  return String(Number(v.toPrecision(9)));
}

/** The points as TSV: one row per point, dim tab-separated numbers, no header. */
export function tensorsTsv(points: Float32Array, n: number, dim: number): string {
  const lines = new Array<string>(n);
  const row = new Array<string>(dim);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++) row[t] = float32Text(points[i * dim + t]);
    lines[i] = row.join("\t");
  }
  return lines.join("\n") + "\n";
}

const cell = (value: string | number) => String(value).replace(/[\t\r\n]/g, " ");

/** Metadata TSV with a header: index, then label and class when given. */
export function metadataTsv(input: ProjectorInput): string {
  const { n, labels, classNames, indices } = input;
  const digitNames = classNames?.every((name, i) => name === String(i)) ?? true;
  const columns = [
    "index",
    ...(labels ? ["label"] : []),
    ...(labels && !digitNames ? ["class"] : []),
  ];
  const lines = [columns.join("\t")];
  for (let i = 0; i < n; i++) {
    const values: Array<string | number> = [indices ? indices[i] : i];
    if (labels) {
      values.push(labels[i]);
      if (!digitNames) values.push(classNames?.[labels[i]] ?? String(labels[i]));
    }
    lines.push(values.map(cell).join("\t"));
  }
  return lines.join("\n") + "\n";
}

/**
 * Write the projector files for n points into `folder` (replaced as a whole: a reader sees the
 * old export or the new one). Returns the paths written.
 */
export function writeProjectorFiles(
  folder: string,
  input: ProjectorInput,
  options: ProjectorOptions = {},
): ProjectorFiles {
  const { points, n, dim } = input;
  checkPoints(points, n, dim, "projector points");
  if (input.labels && input.labels.length !== n) {
    throw new ProjectorError(
      `${input.labels.length} labels for ${n} points: pass one label per point.`,
    );
  }
  if (input.indices && input.indices.length !== n) {
    throw new ProjectorError(
      `${input.indices.length} indices for ${n} points: pass one index per point.`,
    );
  }
  if (input.images && !input.imageShape) {
    throw new ProjectorError("Thumbnails need their imageShape ({height, width, channels}).");
  }
  const shape = input.images ? (input.imageShape as ImageShape) : null;
  // Check the sprite size before anything is written.
  const layout = shape ? spriteLayout(n, shape) : null;
  const sprite = input.images && shape ? spritePng(input.images, n, shape, options) : null;
  const name = input.tensorName ?? "codes";
  const url = (file: string) =>
    options.baseUrl ? `${options.baseUrl.replace(/\/$/, "")}/${file}` : file;
  const config = {
    embeddings: [
      {
        tensorName: name,
        tensorShape: [n, dim],
        tensorPath: url(PROJECTOR_FILES.tensors),
        metadataPath: url(PROJECTOR_FILES.metadata),
        ...(shape
          ? {
              sprite: {
                imagePath: url(PROJECTOR_FILES.sprite),
                singleImageDim: [shape.width, shape.height],
              },
            }
          : {}),
      },
    ],
  };
  const pbtxt = [
    "embeddings {",
    `  tensor_name: ${JSON.stringify(name)}`,
    `  tensor_path: "${PROJECTOR_FILES.tensors}"`,
    `  metadata_path: "${PROJECTOR_FILES.metadata}"`,
    ...(shape
      ? [
          "  sprite {",
          `    image_path: "${PROJECTOR_FILES.sprite}"`,
          `    single_image_dim: ${shape.width}`,
          `    single_image_dim: ${shape.height}`,
          "  }",
        ]
      : []),
    "}",
    "",
  ].join("\n");
  const tensors = tensorsTsv(points, n, dim);
  const metadata = metadataTsv(input);
  replaceFolder(folder, (tmp) => {
    writeFileAtomic(path.join(tmp, PROJECTOR_FILES.tensors), tensors);
    writeFileAtomic(path.join(tmp, PROJECTOR_FILES.metadata), metadata);
    if (sprite) writeFileAtomic(path.join(tmp, PROJECTOR_FILES.sprite), sprite);
    writeJsonAtomic(path.join(tmp, PROJECTOR_FILES.configJson), config);
    writeFileAtomic(path.join(tmp, PROJECTOR_FILES.configPbtxt), pbtxt);
  });
  return {
    folder,
    tensors: path.join(folder, PROJECTOR_FILES.tensors),
    metadata: path.join(folder, PROJECTOR_FILES.metadata),
    sprite: sprite ? path.join(folder, PROJECTOR_FILES.sprite) : null,
    configJson: path.join(folder, PROJECTOR_FILES.configJson),
    configPbtxt: path.join(folder, PROJECTOR_FILES.configPbtxt),
    spriteLayout: layout,
  };
}
