// Datasets: IDX and CIFAR-10 readers, the table of sources, downloads, splits and batches.
export * from "./idx";
export * from "./checksum";
export * from "./download";
export * from "./tar";
export * from "./sources";
export * from "./cifar";
export * from "./load";
export * from "./prepare";
export * from "./batches";
