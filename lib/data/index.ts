// Datasets: IDX and CIFAR-10 readers, the table of sources, downloads, splits and batches.
export { batchCount, gatherRowsInto, iterateBatches } from "./batches";
export { sha256 } from "./checksum";
export { parseCifarBatch, readCifarBatches } from "./cifar";
export { downloadFile } from "./download";
export {
  classCountsBySplit,
  classCountsTable,
  datasetSummary,
  imageAt,
  meanImagePerClass,
  pixelHistogram,
  pixelStats,
  pixelwiseStats,
  samplesPerClass,
} from "./explore";
export {
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  encodeIdx,
  gunzipIfNeeded,
  parseIdx,
  readFileOrThrow,
  readIdxFile,
} from "./idx";
export type { IdxDataType } from "./idx";
export { idxImagesToFloat, loadDataset, loadIdxFolder } from "./load";
export { classCounts, headImages, prepareDataset, selectImages } from "./prepare";
export { CIFAR_RECORD_BYTES, DATASETS } from "./sources";
export type { CifarDatasetSource, IdxDatasetSource } from "./sources";
export { readTarMembers, writeTar } from "./tar";
export { pixelsPerImage } from "./types";
export type { Dataset, ImageSet, ImageShape, PreparedDataset } from "./types";
