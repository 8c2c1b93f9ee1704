/**
 * Fault injection (issue #7 item 1): every bad input or failing write is reported with the most
 * specific error class, a message naming the problem (file, key or value) AND what to do, and no
 * file that existed before the fault is damaged. File faults snapshot the SHA-256 of every file in
 * the affected folder before the call and compare after it.
 *
 * Not covered here: "Chromium missing when exporting figures" (there is no figure export yet).
 */
import { test, describe, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import * as zlib from "node:zlib";
import { parseConfigFlags, resolveConfig, type ExperimentConfig } from "../../lib/config";
import { ChecksumError, ConfigError, DatasetError } from "../../lib/errors";
import { parseCifarBatch, readCifarBatches } from "../../lib/data/cifar";
import { downloadFile } from "../../lib/data/download";
import { encodeIdx, readIdxFile } from "../../lib/data/idx";
import { loadIdxFolder } from "../../lib/data/load";
import { CIFAR_RECORD_BYTES } from "../../lib/data/sources";
import { writeFileAtomic, WriteError } from "../../lib/runs/atomic";
import { ModelFilesError } from "../../lib/runs/model-files";
import { checkRunName, loadRun, loadRunModel, RunError } from "../../lib/runs/run-folder";
import { runExperiment } from "../../lib/train/experiment";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import { NonFiniteLossError, train } from "../../lib/train/trainer";
import { useTestBackend } from "../helpers/backend";
import { tinyRunConfig } from "../helpers/run-config";
import { syntheticDataset } from "../helpers/synthetic";

// ---------------------------------------------------------------------------------------------
// Helpers

type Snapshot = Map<string, string>;

/** SHA-256 of every file under `dir` (recursively), keyed by path relative to `dir`. */
function snapshotFolder(dir: string): Snapshot {
  const out: Snapshot = new Map();
  const walk = (sub: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) {
        const bytes = fs.readFileSync(path.join(dir, rel));
        out.set(rel, crypto.createHash("sha256").update(bytes).digest("hex"));
      }
    }
  };
  walk("");
  return out;
}

/** Every file of `before` still exists with the same bytes (new files are allowed). */
function assertIntact(before: Snapshot, dir: string): void {
  const now = snapshotFolder(dir);
  for (const [file, sha] of before) {
    assert.ok(now.has(file), `${file} was removed`);
    assert.equal(now.get(file), sha, `${file} was changed`);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * A predicate for assert.throws/rejects: `error` is an instance of `cls` and not of a more
 * specific class we know of, and its message matches the `problem` and the `fix` patterns.
 */
function failsWith(cls: ErrorClass, problem: RegExp, fix: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof cls, `expected ${cls.name}, got ${String(error)}`);
    assert.equal((error as Error).constructor, cls, `expected exactly ${cls.name}`);
    assert.match((error as Error).message, problem, "the message names the problem");
    assert.match((error as Error).message, fix, "the message says what to do");
    return true;
  };
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Escape a path for use inside a RegExp. */
function re(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

let root: string;
let runsDir: string;
before(async () => {
  await useTestBackend();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "ae-faults-"));
  runsDir = path.join(root, "runs");
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A fresh folder for one case, holding a bystander file that must survive. */
function caseFolder(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "bystander.txt"), `untouched ${name}\n`);
  return dir;
}

/** A valid 4-image 2×2 ubyte IDX image file and its 4 labels. */
const IMAGES = encodeIdx(
  "ubyte",
  [4, 2, 2],
  Array.from({ length: 16 }, (_, i) => i * 15),
);
const LABELS = encodeIdx("ubyte", [4], [0, 1, 2, 3]);

// ---------------------------------------------------------------------------------------------
// IDX and gzip files

const IDX_FIX = /delete it and download or copy it again/;
const GZIP_FIX = /Delete it and fetch it again/;

const idxCases: Array<{ name: string; bytes: () => Buffer; problem: RegExp; fix: RegExp }> = [
  {
    name: "truncated IDX data",
    bytes: () => IMAGES.subarray(0, IMAGES.length - 5),
    problem: /is truncated: header says 4×2×2 ubyte values = 16 bytes, file has 11 bytes/,
    fix: IDX_FIX,
  },
  {
    name: "truncated IDX header",
    bytes: () => IMAGES.subarray(0, 9),
    problem: /is truncated in its header: 3 dimensions need a 16-byte header, file has 9 bytes/,
    fix: IDX_FIX,
  },
  {
    name: "empty IDX file",
    bytes: () => Buffer.alloc(0),
    problem: /is empty \(0 bytes\)/,
    fix: IDX_FIX,
  },
  {
    name: "wrong magic number (an HTML error page)",
    bytes: () => Buffer.from("<html><body>404 Not Found</body></html>"),
    problem: /is not an IDX file: .*found 3c 68 74 6d\. It looks like HTML/,
    fix: IDX_FIX,
  },
  {
    name: "wrong magic number (unknown type code)",
    bytes: () => Buffer.concat([Buffer.from([0, 0, 0x07, 3]), IMAGES.subarray(4)]),
    problem: /unknown IDX data type 0x07/,
    fix: IDX_FIX,
  },
  {
    name: "corrupt IDX: bytes beyond what the header describes",
    bytes: () => Buffer.concat([IMAGES, Buffer.alloc(3)]),
    problem: /has 3 extra bytes at the end/,
    fix: IDX_FIX,
  },
  {
    name: "truncated gzip",
    bytes: () => {
      const gz = zlib.gzipSync(IMAGES);
      return gz.subarray(0, Math.floor(gz.length / 2));
    },
    problem: /is a corrupt gzip stream .*damaged or incomplete/,
    fix: GZIP_FIX,
  },
  {
    name: "corrupt gzip (damaged deflate data)",
    bytes: () => {
      const gz = Buffer.from(zlib.gzipSync(IMAGES));
      for (let i = 10; i < gz.length - 8; i++) gz[i] ^= 0xa5;
      return gz;
    },
    problem: /is a corrupt gzip stream/,
    fix: GZIP_FIX,
  },
  {
    name: "gzip of a truncated IDX file",
    bytes: () => zlib.gzipSync(IMAGES.subarray(0, IMAGES.length - 1)),
    problem: /\(after gunzip\) is truncated/,
    fix: IDX_FIX,
  },
];

describe("damaged IDX and gzip files: DatasetError naming the file, nothing touched", () => {
  for (const c of idxCases) {
    test(c.name, () => {
      const dir = caseFolder(`idx-${c.name.replace(/\W+/g, "-")}`);
      const file = path.join(dir, "train-images-idx3-ubyte");
      fs.writeFileSync(file, c.bytes());
      const snapshot = snapshotFolder(dir);
      assert.throws(
        () => readIdxFile(file),
        (e: unknown) =>
          failsWith(DatasetError, new RegExp(re(file)), c.fix)(e) &&
          failsWith(DatasetError, c.problem, c.fix)(e) &&
          (e as DatasetError).path === file,
      );
      assertIntact(snapshot, dir);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Dataset folders

describe("dataset folders: missing, not a folder, empty, incomplete, inconsistent", () => {
  const FOLDER_FIX = /Put \{train,t10k\}-\{images-idx3,labels-idx1\}-ubyte .* or set data\.folder/;

  function fullFolder(name: string): string {
    const dir = caseFolder(name);
    fs.writeFileSync(path.join(dir, "train-images-idx3-ubyte"), IMAGES);
    fs.writeFileSync(path.join(dir, "train-labels-idx1-ubyte"), LABELS);
    fs.writeFileSync(path.join(dir, "t10k-images-idx3-ubyte"), IMAGES);
    fs.writeFileSync(path.join(dir, "t10k-labels-idx1-ubyte"), LABELS);
    return dir;
  }

  test("control: a complete folder loads", () => {
    const dataset = loadIdxFolder(fullFolder("folder-ok"));
    assert.equal(dataset.train.count, 4);
  });

  test("image and label counts that disagree", () => {
    const dir = fullFolder("folder-mismatch");
    const labels = path.join(dir, "train-labels-idx1-ubyte");
    fs.writeFileSync(labels, encodeIdx("ubyte", [3], [0, 1, 2]));
    const snapshot = snapshotFolder(dir);
    assert.throws(
      () => loadIdxFolder(dir),
      failsWith(
        DatasetError,
        new RegExp(`count mismatch: .*holds 4 images but ${re(labels)} holds 3 labels`),
        /replace the file that does not match/,
      ),
    );
    assertIntact(snapshot, dir);
  });

  test("a folder that does not exist", () => {
    const dir = path.join(root, "no-such-folder");
    assert.throws(
      () => loadIdxFolder(dir),
      failsWith(DatasetError, new RegExp(`${re(dir)} does not exist`), FOLDER_FIX),
    );
    assert.equal(fs.existsSync(dir), false, "nothing was created");
  });

  test("an unreadable folder: a path that is a file", () => {
    // Tests run as root, so chmod 000 does not stop reads; a regular file where the folder should
    // be is the unreadable folder we can produce for real.
    const dir = caseFolder("folder-is-file");
    const notFolder = path.join(dir, "mnist");
    fs.writeFileSync(notFolder, "I am a file\n");
    const snapshot = snapshotFolder(dir);
    assert.throws(
      () => loadIdxFolder(notFolder),
      failsWith(DatasetError, new RegExp(`${re(notFolder)} is not a folder`), FOLDER_FIX),
    );
    assertIntact(snapshot, dir);
  });

  test("an empty folder", () => {
    const dir = path.join(root, "folder-empty");
    fs.mkdirSync(dir);
    assert.throws(
      () => loadIdxFolder(dir),
      failsWith(DatasetError, new RegExp(`Dataset folder ${re(dir)} is empty`), FOLDER_FIX),
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test("a folder lacking the test split", () => {
    const dir = fullFolder("folder-incomplete");
    fs.rmSync(path.join(dir, "t10k-images-idx3-ubyte"));
    fs.rmSync(path.join(dir, "t10k-labels-idx1-ubyte"));
    const snapshot = snapshotFolder(dir);
    assert.throws(
      () => loadIdxFolder(dir),
      failsWith(
        DatasetError,
        /lacks t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]/,
        FOLDER_FIX,
      ),
    );
    assertIntact(snapshot, dir);
  });
});

// ---------------------------------------------------------------------------------------------
// CIFAR batches and checksums

describe("CIFAR batches and checksums", () => {
  const REEXTRACT = /Delete it; .*extracts it again from the verified archive/;

  test("a CIFAR batch of the wrong size (not a whole number of records)", () => {
    const dir = caseFolder("cifar-size");
    const file = path.join(dir, "data_batch_1.bin");
    fs.writeFileSync(file, Buffer.alloc(2 * CIFAR_RECORD_BYTES + 100));
    const snapshot = snapshotFolder(dir);
    assert.throws(
      () => readCifarBatches([file]),
      failsWith(
        DatasetError,
        new RegExp(
          `${re(file)} is not a whole number of CIFAR-10 records: .*2 records .*100 bytes left over`,
        ),
        REEXTRACT,
      ),
    );
    assertIntact(snapshot, dir);
  });

  test("an empty CIFAR batch", () => {
    assert.throws(
      () => parseCifarBatch(new Uint8Array(0), "data_batch_9.bin"),
      failsWith(DatasetError, /data_batch_9\.bin is empty/, REEXTRACT),
    );
  });

  test("checksum mismatch on a local file of the right size", () => {
    const dir = caseFolder("cifar-checksum");
    const file = path.join(dir, "data_batch_1.bin");
    const bytes = Buffer.alloc(CIFAR_RECORD_BYTES);
    fs.writeFileSync(file, bytes);
    const snapshot = snapshotFolder(dir);
    const wrong = "0".repeat(64);
    assert.throws(
      () =>
        readCifarBatches([file], [{ name: "data_batch_1.bin", size: bytes.length, sha256: wrong }]),
      failsWith(
        ChecksumError,
        new RegExp(
          `${re(file)} has the wrong contents: expected SHA-256 ${wrong}, got [0-9a-f]{64}`,
        ),
        REEXTRACT,
      ),
    );
    assertIntact(snapshot, dir);
  });

  test("checksum mismatch on a download from a local server: nothing trusted, nothing overwritten", async () => {
    const body = Buffer.from("this is not the file you are looking for\n");
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-length": body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const dir = caseFolder("download-checksum");
      const dest = path.join(dir, "train-images-idx3-ubyte.gz");
      const snapshot = snapshotFolder(dir);
      const url = `http://127.0.0.1:${port}/train-images-idx3-ubyte.gz`;
      await assert.rejects(
        downloadFile({ url, dest, sha256: "f".repeat(64), attempts: 1 }),
        failsWith(
          ChecksumError,
          new RegExp(`Download of ${re(url)} has the wrong checksum: expected SHA-256 f{64}`),
          /delete it and try again/,
        ),
      );
      assert.equal(fs.existsSync(dest), false, "an unverified file is never placed at dest");
      assert.equal(fs.readFileSync(`${dest}.bad`, "utf8"), body.toString(), "kept for inspection");
      assertIntact(snapshot, dir);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Configuration

describe("configuration: unknown, ill-typed and out-of-range values", () => {
  const cases: Array<{
    name: string;
    overrides: Record<string, unknown>;
    problem: RegExp;
    fix: RegExp;
  }> = [
    {
      name: "unknown key (a typo)",
      overrides: { train: { epoch: 5 } },
      problem: /Unknown config key "train\.epoch"/,
      fix: /Did you mean "train\.epochs"\?/,
    },
    {
      name: "unknown top-level section",
      overrides: { trainer: { epochs: 5 } },
      problem: /Unknown config key "trainer/,
      fix: /Valid keys: .*train\.epochs/,
    },
    {
      name: "ill-typed: a string for an integer",
      overrides: { "train.epochs": "five" },
      problem: /Config key "train\.epochs": got string "five"/,
      fix: /expected an integer/,
    },
    {
      name: "ill-typed: a string for a boolean",
      overrides: { data: { download: "yes" } },
      problem: /Config key "data\.download": got string "yes"/,
      fix: /expected true or false/,
    },
    {
      name: "ill-typed: a number for a choice",
      overrides: { model: { kind: 3 } },
      problem: /Config key "model\.kind": got number 3/,
      fix: /expected one of "dense", "conv"/,
    },
    {
      name: "out of range: code size 0",
      overrides: { model: { codeSize: 0 } },
      problem: /Config key "model\.codeSize": got 0/,
      fix: /must be at least 1/,
    },
    {
      name: "out of range: negative learning rate",
      overrides: { train: { learningRate: -0.001 } },
      problem: /Config key "train\.learningRate": got -0\.001/,
      fix: /must be greater than 0/,
    },
    {
      name: "out of range: a non-integer batch size",
      overrides: { "batch-size": 12.5 },
      problem: /Config key "train\.batchSize": got 12\.5/,
      fix: /expected an integer/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.throws(() => resolveConfig(c.overrides), failsWith(ConfigError, c.problem, c.fix));
    });
  }

  test("a command-line flag without a value", () => {
    assert.throws(
      () => parseConfigFlags(["--epochs"]),
      failsWith(ConfigError, /Flag --epochs/, /needs a value/),
    );
  });

  test("a batch larger than the training set", async () => {
    const data = syntheticDataset(); // 64 training images
    const config = resolveConfig({
      model: { codeSize: 4, hiddenSizes: [8] },
      train: { epochs: 1, batchSize: 128, backend: "wasm" },
    });
    const model = buildAutoencoder(config.model, data.shape, config.seed);
    try {
      await assert.rejects(
        train(model, data, config),
        failsWith(
          ConfigError,
          /"train\.batchSize" is 128, more than the 64 training images/,
          /Set train\.batchSize to at most 64/,
        ),
      );
    } finally {
      model.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Runs

const runConfig = (name: string, train: Record<string, unknown> = {}): ExperimentConfig =>
  tinyRunConfig(name, runsDir, { epochs: 2, ...train });

/** Writing `data` to `target` fails with a WriteError naming the file, "the disk is full" and the fix. */
function assertDiskFull(target: string, data: string | Uint8Array): void {
  assert.throws(
    () => writeFileAtomic(target, data),
    (e: unknown) =>
      failsWith(
        WriteError,
        new RegExp(`Could not write ${re(target)}: the disk is full`),
        /free some space .* and try again\. The previous version of the file is unchanged/,
      )(e) && (e as WriteError).path === target,
  );
}

describe("runs: names, incompatible configs, missing weights, NaN, disk full", () => {
  for (const bad of ["../escape", "a/b", "a\\b", "..", "/etc/passwd", "x/../../y"]) {
    test(`a run name with a path separator or "..": ${JSON.stringify(bad)}`, () => {
      const snapshot = fs.existsSync(runsDir) ? snapshotFolder(runsDir) : new Map();
      assert.throws(
        () => checkRunName(bad),
        failsWith(
          ConfigError,
          new RegExp(`"train\\.runName": ${re(JSON.stringify(bad))} is not a valid run name`),
          /Use 1-100 letters, digits.*without "\/" "\\" or "\.\."/,
        ),
      );
      if (fs.existsSync(runsDir)) assertIntact(snapshot, runsDir);
    });
  }

  test("loading a run written by an incompatible config", async () => {
    const result = await runExperiment(runConfig("incompatible"), { data: syntheticDataset() });
    result.model.dispose();
    const file = path.join(result.folder, "config.json");
    const saved = JSON.parse(fs.readFileSync(file, "utf8"));
    saved.model.layers = 3; // a key this version does not know
    fs.writeFileSync(file, JSON.stringify(saved));
    const snapshot = snapshotFolder(result.folder);
    assert.throws(
      () => loadRun(result.folder),
      failsWith(
        RunError,
        new RegExp(
          `Run at ${re(result.folder)} was written with an incompatible config: .*model\\.layers`,
        ),
        /retrain it, or edit config\.json to match/,
      ),
    );
    assertIntact(snapshot, result.folder);
  });

  test("loading a model with a missing weights file", async () => {
    const result = await runExperiment(runConfig("missing-weights"), { data: syntheticDataset() });
    result.model.dispose();
    const weights = path.join(result.folder, "model", "decoder", "weights.bin");
    fs.rmSync(weights);
    const snapshot = snapshotFolder(result.folder);
    await assert.rejects(
      loadRunModel(loadRun(result.folder)),
      failsWith(
        ModelFilesError,
        new RegExp(`Weights file ${re(weights)} listed in .*model\\.json is missing`),
        /Restore the file, or resume training from the run's checkpoint/,
      ),
    );
    assertIntact(snapshot, result.folder);
  });

  test("NaN in training: NonFiniteLossError, run marked failed, checkpoint intact", async () => {
    const data = syntheticDataset();
    let checkpoint: Snapshot | null = null;
    const folder = path.join(runsDir, "nan-run");
    const running = runExperiment(runConfig("nan-run", { epochs: 3 }), {
      data,
      reporter: {
        start() {},
        batch() {},
        epoch(record) {
          // Epoch 1 is checkpointed by now: snapshot it, then poison the data for epoch 2.
          if (record.epoch === 1) {
            checkpoint = snapshotFolder(path.join(folder, "checkpoint"));
            data.train.images.fill(Number.NaN);
          }
        },
        end() {},
      },
    });
    await assert.rejects(
      running,
      failsWith(
        NonFiniteLossError,
        /Training loss became NaN at epoch 2, batch 1/,
        /Lower train\.learningRate .*then resume or start again/,
      ),
    );
    const run = loadRun(folder);
    assert.equal(run.record.status, "failed");
    assert.match(run.record.error ?? "", /NaN/);
    assert.equal(run.record.epochsDone, 1);
    assert.ok(checkpoint !== null && (checkpoint as Snapshot).size > 0);
    assertIntact(checkpoint as unknown as Snapshot, path.join(folder, "checkpoint"));
    const model = await loadRunModel(run, "checkpoint");
    model.dispose();
  });

  test("a write whose temporary file lands on /dev/full (ENOSPC): WriteError, previous file intact", () => {
    // /dev/full answers every write with ENOSPC. writeFileAtomic writes to
    // `.<name>.<pid>.<counter>.tmp` in the target's folder, the counter private to the module, so
    // we plant symlinks to /dev/full under every name it can pick next: the kernel, not a mock,
    // fails the write. Runs without root (the tmpfs case below needs it).
    const dir = caseFolder("dev-full");
    const target = path.join(dir, "history.json");
    writeFileAtomic(target, '{"epochs": 1}\n');
    const planted: string[] = [];
    for (let counter = 1; counter <= 5000; counter++) {
      const link = path.join(dir, `.history.json.${process.pid}.${counter}.tmp`);
      fs.symlinkSync("/dev/full", link);
      planted.push(link);
    }
    const snapshot = snapshotFolder(dir); // regular files only: the symlinks are not in it
    try {
      assertDiskFull(target, '{"epochs": 2}\n');
      assertIntact(snapshot, dir);
      assert.equal(fs.readFileSync(target, "utf8"), '{"epochs": 1}\n');
      const left = planted.filter(isLink);
      assert.equal(left.length, planted.length - 1, "the temporary it used was removed");
    } finally {
      for (const link of planted) fs.rmSync(link, { force: true });
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), ["bystander.txt", "history.json"]);
  });

  test("a write on a filesystem that is really full (64 KiB tmpfs): WriteError, previous file intact", (t) => {
    // A real ENOSPC from the kernel, with no mocking: a 64 KiB tmpfs, filled up. Mounting needs
    // root (CAP_SYS_ADMIN); where that is not available the case is skipped and says why.
    const mountPoint = path.join(root, "full-disk");
    fs.mkdirSync(mountPoint);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint], {
        stdio: "ignore",
      });
    } catch {
      t.skip("cannot mount a small tmpfs here (needs root); ENOSPC not simulated");
      return;
    }
    try {
      const target = path.join(mountPoint, "history.json");
      writeFileAtomic(target, '{"epochs": 1}\n');
      // Fill the rest of the filesystem.
      const filler = path.join(mountPoint, "filler");
      const fd = fs.openSync(filler, "w");
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
      } catch (error) {
        assert.equal((error as NodeJS.ErrnoException).code, "ENOSPC");
      } finally {
        fs.closeSync(fd);
      }
      const snapshot = snapshotFolder(mountPoint);
      assertDiskFull(target, Buffer.alloc(32 * 1024, 7));
      assertIntact(snapshot, mountPoint);
      assert.equal(fs.readFileSync(target, "utf8"), '{"epochs": 1}\n');
      assert.deepEqual(
        fs.readdirSync(mountPoint).sort(),
        ["filler", "history.json"],
        "no temp left",
      );
    } finally {
      execFileSync("umount", [mountPoint]);
    }
  });
});
