// Cached codes of a run (lib/runs/codes.ts, an entry of the run cache) on a tiny run trained on real MNIST: encoding
// matches the encoder, the cache is read back, a resumed run's codes are stale and recomputed,
// truncated / altered / unreadable caches are detected (typed error) and recomputed.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ExperimentConfig } from "../../lib/config";
import { loadDataset, prepareDataset } from "../../lib/data";
import { sampleCodes } from "../../lib/runs/code-sample";
import {
  codesFingerprint,
  codesFolder,
  loadOrEncodeCodes,
  readCachedCodes,
} from "../../lib/runs/codes";
import { RunCacheError } from "../../lib/runs/run-cache";
import { loadRun, loadRunModel, RunError } from "../../lib/runs/run-folder";
import { encodeSet } from "../../lib/model/inference";
import { runExperiment } from "../../lib/train/experiment";
import { useTestBackend } from "../helpers/backend";
import { tinyRunConfig } from "../helpers/run-config";

let runsDir: string;
let folder: string;

/** The tiny run config on the first 300 training and 100 test MNIST images. */
function mnistTinyConfig(name: string, train: Record<string, unknown> = {}): ExperimentConfig {
  const config = tinyRunConfig(name, runsDir, train);
  return { ...config, data: { ...config.data, trainLimit: 300, testLimit: 100 } };
}

before(async () => {
  await useTestBackend();
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-codes-"));
  const result = await runExperiment(mnistTinyConfig("codes"));
  result.model.dispose();
  folder = result.folder;
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

test("first call encodes the test set with the run's encoder and caches it; the second reads the cache", async () => {
  const first = await loadOrEncodeCodes(folder, "test");
  assert.equal(first.source, "encoded");
  assert.match(first.reason ?? "", /^first use: encoded now and cached in \S+codes$/);
  assert.equal(first.n, 100);
  assert.equal(first.dim, 4);
  assert.equal(first.codes.length, 400);
  assert.deepEqual(first.shape, { height: 28, width: 28, channels: 1 });
  for (const file of ["test.f32", "test.labels.u8", "test.json"]) {
    assert.ok(fs.existsSync(path.join(codesFolder(folder), file)), file);
  }
  assert.equal(fs.statSync(path.join(codesFolder(folder), "test.f32")).size, 400 * 4);

  // Same as encoding the run's own test split directly.
  const run = loadRun(folder);
  const data = prepareDataset(await loadDataset(run.config.data), run.config.data, run.config.seed);
  const model = await loadRunModel(run);
  const direct = encodeSet(model, data.test, 784);
  model.encoder.dispose();
  model.decoder.dispose();
  assert.deepEqual(first.codes, direct);
  assert.deepEqual(first.labels, data.test.labels);
  assert.deepEqual(await first.images(), data.test.images);

  const second = await loadOrEncodeCodes(folder, "test");
  assert.equal(second.source, "cache");
  assert.equal(second.reason, undefined);
  assert.deepEqual(second.codes, first.codes);
  assert.deepEqual(second.labels, first.labels);
  assert.equal(second.fingerprint, first.fingerprint);
  // From the cache, images() loads the dataset itself.
  assert.deepEqual(await second.images(), data.test.images);
});

test("the training split is encoded on request, into its own files", async () => {
  const train = await loadOrEncodeCodes(folder, "train");
  assert.equal(train.n, 300);
  assert.equal(train.dim, 4);
  assert.ok(fs.existsSync(path.join(codesFolder(folder), "train.f32")));
  assert.notEqual(train.fingerprint, codesFingerprint(loadRun(folder), "test"));
  assert.equal((await loadOrEncodeCodes(folder, "train")).source, "cache");
});

test("a truncated, altered or unreadable cache is a typed RunCacheError, and is recomputed", async () => {
  const fresh = await loadOrEncodeCodes(folder, "test");
  const codesFile = path.join(codesFolder(folder), "test.f32");
  const metaFile = path.join(codesFolder(folder), "test.json");
  const fingerprint = fresh.fingerprint;

  const damage: Array<[string, () => void, RegExp]> = [
    ["truncated", () => fs.truncateSync(codesFile, 123), /truncated/],
    [
      "one byte changed",
      () => {
        const bytes = fs.readFileSync(codesFile);
        bytes[17] ^= 0xff;
        fs.writeFileSync(codesFile, bytes);
      },
      /SHA-256/,
    ],
    ["codes file deleted", () => fs.rmSync(codesFile), /missing or unreadable/],
    ["record not JSON", () => fs.writeFileSync(metaFile, "{ not json"), /not valid JSON/],
    ["record without fields", () => fs.writeFileSync(metaFile, "{}"), /damaged/],
  ];
  for (const [what, breakIt, message] of damage) {
    breakIt();
    assert.throws(
      () => readCachedCodes(folder, "test", fingerprint),
      (e: unknown) =>
        e instanceof RunCacheError && e.problem === "damaged" && message.test(e.message),
      what,
    );
    const again = await loadOrEncodeCodes(folder, "test");
    assert.equal(again.source, "encoded", what);
    assert.match(again.reason ?? "", message, what);
    assert.deepEqual(again.codes, fresh.codes, what);
    // Repaired: the next read is from the cache.
    assert.equal((await loadOrEncodeCodes(folder, "test")).source, "cache", what);
  }
});

test("resuming the run changes its weights: the cached codes are stale and are encoded again", async () => {
  const before = await loadOrEncodeCodes(folder, "test");
  assert.equal(before.source, "cache");
  const resumed = await runExperiment(mnistTinyConfig("codes", { epochs: 4 }), {
    resume: true,
    epochs: 4,
  });
  resumed.model.dispose();
  assert.throws(
    () => readCachedCodes(folder, "test", codesFingerprint(loadRun(folder), "test")),
    (e: unknown) => e instanceof RunCacheError && e.problem === "stale",
  );
  const after = await loadOrEncodeCodes(folder, "test");
  assert.equal(after.source, "encoded");
  assert.match(after.reason ?? "", /stale/);
  assert.notEqual(after.fingerprint, before.fingerprint);
  assert.notDeepEqual(after.codes, before.codes);
  assert.deepEqual(after.labels, before.labels);
});

test("a run without a final model is a RunError naming the fix; a bad split is refused", async () => {
  const stopped = new AbortController();
  stopped.abort();
  const result = await runExperiment(mnistTinyConfig("no-model"), { signal: stopped.signal });
  result.model.dispose();
  await assert.rejects(
    loadOrEncodeCodes(result.folder, "test"),
    (e: unknown) => e instanceof RunError && /checkpoint/.test(e.message),
  );
  await assert.rejects(loadOrEncodeCodes(folder, "validation" as "test"), /use "test" or "train"/);
});

test("sampleCodes: seeded, without replacement, in index order, rows and labels aligned", async () => {
  const codes = await loadOrEncodeCodes(folder, "test");
  const a = sampleCodes(codes, 30, 7);
  const b = sampleCodes(codes, 30, 7);
  assert.deepEqual(a, b);
  assert.notDeepEqual(sampleCodes(codes, 30, 8).indices, a.indices);
  assert.equal(a.n, 30);
  assert.equal(new Set(a.indices).size, 30);
  for (let i = 1; i < 30; i++) assert.ok(a.indices[i] > a.indices[i - 1]);
  for (let i = 0; i < 30; i++) {
    const row = a.indices[i];
    assert.equal(a.labels[i], codes.labels[row]);
    assert.deepEqual(
      a.points.subarray(i * 4, i * 4 + 4),
      codes.codes.subarray(row * 4, row * 4 + 4),
    );
  }
  assert.equal(sampleCodes(codes, 1e6, 7).n, 100);
});
