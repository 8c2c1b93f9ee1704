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
  CIFAR_RECORD_BYTES,
  DATASETS,
  classCounts,
  loadDataset,
  parseCifarBatch,
  readCifarBatches,
  readTarMembers,
  writeTar,
  type CifarDatasetSource,
} from "../../lib/data";

let tmp = "";
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-cifar-test-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha = (b: Uint8Array): string => crypto.createHash("sha256").update(b).digest("hex");

/** A batch of `count` records with random pixels and labels `first + r` mod 10. */
function batch(count: number, first = 0): Buffer {
  const bytes = crypto.randomBytes(count * CIFAR_RECORD_BYTES);
  for (let r = 0; r < count; r++) bytes[r * CIFAR_RECORD_BYTES] = (first + r) % 10;
  return bytes;
}

describe("parseCifarBatch", () => {
  it("converts channel-planar records to channels-last float32 exactly", () => {
    const bytes = batch(3, 7);
    const set = parseCifarBatch(bytes, "generated.bin");
    assert.equal(set.count, 3);
    assert.deepEqual(Array.from(set.labels), [7, 8, 9]);
    assert.equal(set.images.length, 3 * 32 * 32 * 3);
    for (let r = 0; r < 3; r++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          for (let c = 0; c < 3; c++) {
            const planar = bytes[r * CIFAR_RECORD_BYTES + 1 + c * 1024 + y * 32 + x];
            const channelsLast = set.images[((r * 32 + y) * 32 + x) * 3 + c];
            if (channelsLast !== Math.fround(planar / 255)) {
              assert.fail(
                `record ${r} y ${y} x ${x} channel ${c}: ${channelsLast} != ${planar}/255`,
              );
            }
          }
        }
      }
    }
  });

  it("a known pixel: red plane byte 0 -> channel 0 of pixel (0,0); blue plane last byte -> channel 2 of pixel (31,31)", () => {
    const bytes = Buffer.alloc(CIFAR_RECORD_BYTES);
    bytes[0] = 4;
    bytes[1] = 255; // R of (0,0)
    bytes[1 + 1024 + 33] = 51; // G of (1,1)
    bytes[CIFAR_RECORD_BYTES - 1] = 102; // B of (31,31)
    const set = parseCifarBatch(bytes, "one.bin");
    assert.equal(set.labels[0], 4);
    assert.equal(set.images[0], 1);
    assert.equal(set.images[(1 * 32 + 1) * 3 + 1], Math.fround(0.2));
    assert.equal(set.images[set.images.length - 1], Math.fround(0.4));
    assert.equal(
      set.images.reduce((a, b) => a + b, 0),
      Math.fround(1) + Math.fround(0.2) + Math.fround(0.4),
    );
  });

  it("rejects a truncated batch, an empty one and labels out of range", () => {
    assert.throws(
      () => parseCifarBatch(batch(2).subarray(0, 5000), "cut.bin"),
      (e: unknown) => {
        assert.ok(e instanceof DatasetError);
        assert.match(
          e.message,
          /cut\.bin is not a whole number of CIFAR-10 records: 5,000 bytes = 1 records of 3073 bytes \+ 1927 bytes left over/,
        );
        return true;
      },
    );
    assert.throws(() => parseCifarBatch(Buffer.alloc(0), "empty.bin"), /empty\.bin is empty/);
    const bad = batch(2);
    bad[CIFAR_RECORD_BYTES] = 10;
    assert.throws(
      () => parseCifarBatch(bad, "labels.bin"),
      /labels\.bin: record 1 has label 10, expected 0\.\.9/,
    );
  });
});

describe("readCifarBatches", () => {
  it("concatenates batch files in order", () => {
    const a = batch(2, 0);
    const b = batch(3, 5);
    fs.writeFileSync(path.join(tmp, "a.bin"), a);
    fs.writeFileSync(path.join(tmp, "b.bin"), b);
    const set = readCifarBatches([path.join(tmp, "a.bin"), path.join(tmp, "b.bin")]);
    assert.equal(set.count, 5);
    assert.deepEqual(Array.from(set.labels), [0, 1, 5, 6, 7]);
    assert.equal(set.images[2 * 3072], Math.fround(b[1] / 255));
  });

  it("checks sizes and checksums when they are known", () => {
    const file = path.join(tmp, "known.bin");
    const bytes = batch(2);
    fs.writeFileSync(file, bytes);
    assert.throws(
      () =>
        readCifarBatches(
          [file],
          [{ name: "known.bin", size: 3 * CIFAR_RECORD_BYTES, sha256: sha(bytes) }],
        ),
      /has 6,146 bytes, expected 9,219/,
    );
    assert.throws(
      () =>
        readCifarBatches(
          [file],
          [{ name: "known.bin", size: bytes.length, sha256: "0".repeat(64) }],
        ),
      ChecksumError,
    );
    assert.equal(
      readCifarBatches([file], [{ name: "known.bin", size: bytes.length, sha256: sha(bytes) }])
        .count,
      2,
    );
  });

  it("a missing batch file", () => {
    assert.throws(
      () => readCifarBatches([path.join(tmp, "missing.bin")]),
      /missing\.bin does not exist \(expected a CIFAR-10 batch file\)/,
    );
  });
});

describe("tar reader", () => {
  it("round-trips members, gzip or not", () => {
    const members = [
      { name: "dir/a.bin", data: Buffer.from("hello") },
      { name: "dir/b.txt", data: Buffer.alloc(1000, 3) },
    ];
    for (const archive of [writeTar(members), zlib.gzipSync(writeTar(members))]) {
      const read = readTarMembers(archive, "x.tar");
      assert.deepEqual(
        read.map((m) => m.name),
        ["dir/a.bin", "dir/b.txt"],
      );
      assert.ok(read[1].data.equals(members[1].data));
    }
  });

  it("a truncated archive is a DatasetError", () => {
    const archive = writeTar([{ name: "a", data: Buffer.alloc(2000) }]);
    assert.throws(
      () => readTarMembers(archive.subarray(0, 1000), "cut.tar"),
      /cut\.tar is truncated: member "a" needs 2000 bytes/,
    );
  });
});

describe("loadDataset cifar10 (archive from a local server on 127.0.0.1)", () => {
  const official = DATASETS.cifar10 as CifarDatasetSource;
  const trainBins = [batch(3, 0), batch(3, 3), batch(2, 6), batch(2, 8), batch(1, 9)];
  const testBin = batch(4, 2);
  const meta = Buffer.from(official.classNames.join("\n") + "\n\n");
  const archive = zlib.gzipSync(
    writeTar([
      ...trainBins.map((data, i) => ({
        name: `cifar-10-batches-bin/data_batch_${i + 1}.bin`,
        data,
      })),
      { name: "cifar-10-batches-bin/test_batch.bin", data: testBin },
      { name: "cifar-10-batches-bin/batches.meta.txt", data: meta },
      { name: "cifar-10-batches-bin/readme.html", data: Buffer.from("<html/>") },
    ]),
  );
  let server: http.Server;
  let requests = 0;
  let source: CifarDatasetSource;

  before(async () => {
    server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200, { "content-length": archive.length });
      res.end(archive);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cifar-10-binary.tar.gz`;
    source = {
      ...official,
      archive: { ...official.archive, url, size: archive.length, sha256: sha(archive), md5: "" },
      trainFiles: trainBins.map((data, i) => ({
        name: `data_batch_${i + 1}.bin`,
        size: data.length,
        sha256: sha(data),
      })),
      testFiles: [{ name: "test_batch.bin", size: testBin.length, sha256: sha(testBin) }],
    };
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function config(overrides: Partial<DataConfig>): DataConfig {
    return { ...defaultConfig().data, dataset: "cifar10", download: false, ...overrides };
  }

  it("the official table records the archive's size, MD5 and SHA-256", () => {
    assert.equal(official.archive.size, 170052171);
    assert.equal(official.archive.md5, "c32a1d4ab5d03f1284b67883e8d87530");
    assert.equal(
      official.archive.sha256,
      "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    );
    assert.equal(official.trainFiles.length, 5);
  });

  it("without data.download and with nothing on disk: a DatasetError, no request", async () => {
    await assert.rejects(
      loadDataset(config({ dataDir: path.join(tmp, "off") }), { source }),
      /CIFAR-10 is not on disk: .*Set data.download to true/,
    );
    assert.equal(requests, 0);
  });

  it("downloads, verifies, extracts into dataDir/cifar10 and loads channels-last; reloads offline", async () => {
    const dataDir = path.join(tmp, "on");
    const data = await loadDataset(config({ dataDir, download: true }), { source });
    assert.equal(requests, 1);
    assert.deepEqual(data.shape, { height: 32, width: 32, channels: 3 });
    assert.equal(data.train.count, 11);
    assert.equal(data.test.count, 4);
    assert.deepEqual(classCounts(data.train.labels, 10), [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    assert.equal(data.test.images[2], Math.fround(testBin[1 + 2048] / 255));
    assert.equal(data.classNames[0], "airplane");
    assert.deepEqual(fs.readdirSync(path.join(dataDir, "cifar10")).sort(), [
      "batches.meta.txt",
      "data_batch_1.bin",
      "data_batch_2.bin",
      "data_batch_3.bin",
      "data_batch_4.bin",
      "data_batch_5.bin",
      "test_batch.bin",
    ]);
    fs.rmSync(path.join(dataDir, "cifar10", "test_batch.bin"));
    const again = await loadDataset(config({ dataDir, download: true }), { source });
    assert.equal(requests, 1, "re-extracted from the kept archive, no new download");
    assert.equal(again.test.count, 4);
  });

  it("an archive on disk that fails its checksum is a ChecksumError", async () => {
    const dataDir = path.join(tmp, "bad-archive");
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, "cifar-10-binary.tar.gz"), archive.subarray(0, 1000));
    await assert.rejects(
      loadDataset(config({ dataDir, download: true }), { source }),
      (e: unknown) => {
        assert.ok(e instanceof ChecksumError);
        assert.match(e.message, /cifar-10-binary\.tar\.gz has the wrong checksum.*Delete it/);
        return true;
      },
    );
  });

  it("data.folder holding the batches (or cifar-10-batches-bin inside it) is read directly", async () => {
    const folder = path.join(tmp, "user", "cifar-10-batches-bin");
    fs.mkdirSync(folder, { recursive: true });
    trainBins.forEach((data, i) =>
      fs.writeFileSync(path.join(folder, `data_batch_${i + 1}.bin`), data),
    );
    fs.writeFileSync(path.join(folder, "test_batch.bin"), testBin);
    for (const given of [folder, path.dirname(folder)]) {
      const data = await loadDataset(config({ folder: given }), { source });
      assert.equal(data.train.count, 11);
    }
    fs.rmSync(path.join(folder, "data_batch_3.bin"));
    await assert.rejects(
      loadDataset(config({ folder }), { source }),
      /CIFAR-10 folder .* lacks data_batch_3\.bin/,
    );
  });
});
