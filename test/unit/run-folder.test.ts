// Run folders: names, round trip of config/history/model, checkpoint resume equality, locks,
// refusal to overwrite, damaged and incompatible runs, atomic writes.
import * as tf from "@tensorflow/tfjs";
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { resolveConfig } from "../../lib/config";
import { ConfigError } from "../../lib/errors";
import { runExperiment } from "../../lib/train/experiment";
import { reconstructSet } from "../../lib/model/inference";
import {
  checkRunName,
  generateRunName,
  loadRun,
  loadRunModel,
  RunError,
  RunWriter,
  historyToCsv,
} from "../../lib/runs/run-folder";
import { ModelFilesError } from "../../lib/runs/model-files";
import {
  writeFileAtomic,
  replaceFolder,
  resolveCompleteFolder,
  WriteError,
} from "../../lib/runs/atomic";
import { useTestBackend } from "../helpers/backend";
import { tinyRunConfig } from "../helpers/run-config";
import { syntheticDataset } from "../helpers/synthetic";

let runsDir: string;
before(async () => {
  await useTestBackend();
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-runs-"));
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

/** A tiny run config; `train` overrides are merged into the test's training settings. */
const config = (name: string, train: Record<string, unknown> = {}) =>
  tinyRunConfig(name, runsDir, train);

test("run names: valid ones pass; separators, '..', and odd starts are rejected with the key named", () => {
  assert.equal(checkRunName("dense-64_v1.2"), "dense-64_v1.2");
  for (const bad of [
    "../x",
    "a/b",
    "a\\b",
    "..",
    ".hidden",
    "",
    "a..b",
    "x".repeat(101),
    "sp ace",
  ]) {
    assert.throws(
      () => checkRunName(bad),
      (e: unknown) => e instanceof ConfigError && /train\.runName/.test(e.message),
      bad,
    );
  }
  assert.match(
    generateRunName(resolveConfig({}), new Date("2026-11-29T05:01:02Z")),
    /^dense-64-mnist-20261129-050102$/,
  );
});

test("a finished run round-trips: config, history (JSON and CSV), metrics, and a model that reconstructs identically", async () => {
  const data = syntheticDataset();
  const result = await runExperiment(config("round-trip"), { data });
  const run = loadRun(result.folder);
  assert.equal(run.record.status, "completed");
  assert.equal(run.record.epochsDone, 3);
  assert.deepEqual(run.config, result.config);
  assert.deepEqual(run.history, result.result.history);
  const csv = fs.readFileSync(path.join(result.folder, "history.csv"), "utf8");
  assert.equal(csv, historyToCsv(result.result.history));
  assert.equal(csv.trim().split("\n").length, 4);
  assert.ok(run.metrics && typeof run.metrics === "object");
  const loaded = await loadRunModel(run);
  const expected = reconstructSet(result.model, data.test, 64);
  const actual = reconstructSet(loaded, data.test, 64);
  assert.deepEqual(actual, expected);
  // The saved files are the standard layers format: model.json names weights.bin.
  const manifest = JSON.parse(
    fs.readFileSync(path.join(result.folder, "model/decoder/model.json"), "utf8"),
  );
  assert.equal(manifest.format, "layers-model");
  assert.deepEqual(manifest.weightsManifest[0].paths, ["./weights.bin"]);
  loaded.dispose();
  result.model.dispose();
  assert.ok(!fs.existsSync(path.join(result.folder, ".lock")), "lock released");
});

test("resuming from a checkpoint reaches exactly the losses of an uninterrupted run", async () => {
  const data = syntheticDataset();
  const full = await runExperiment(config("uninterrupted", { epochs: 4 }), { data });
  full.model.dispose();
  // Stop "part" after epoch 2 with the abort signal, then resume to 4 epochs.
  const controller = new AbortController();
  const partConfig = config("part", { epochs: 4 });
  const part = await runExperiment(partConfig, {
    data,
    signal: controller.signal,
    reporter: {
      start() {},
      batch() {},
      epoch(r) {
        if (r.epoch === 2) controller.abort();
      },
      end() {},
    },
  });
  part.model.dispose();
  assert.equal(part.result.stopReason, "interrupted");
  assert.equal(loadRun(part.folder).record.status, "interrupted");
  const resumed = await runExperiment(partConfig, { data, resume: true });
  resumed.model.dispose();
  const losses = (h: typeof full.result.history) => h.map((r) => [r.epoch, r.trainLoss, r.valLoss]);
  assert.deepEqual(losses(resumed.result.history), losses(full.result.history));
  assert.equal(loadRun(resumed.folder).record.status, "completed");
});

test("a run name that exists is not overwritten without --resume; resuming a missing run is an error", async () => {
  const data = syntheticDataset();
  const first = await runExperiment(config("taken"), { data });
  first.model.dispose();
  const before = fs.readFileSync(path.join(first.folder, "history.json"), "utf8");
  await assert.rejects(
    runExperiment(config("taken"), { data }),
    (e: unknown) => e instanceof RunError && /--resume/.test(e.message),
  );
  assert.equal(
    fs.readFileSync(path.join(first.folder, "history.json"), "utf8"),
    before,
    "nothing was damaged",
  );
  await assert.rejects(runExperiment(config("never-made"), { data, resume: true }), RunError);
});

test("a live lock refuses a second writer; a stale lock (dead pid) is taken over", () => {
  const c = config("locked");
  const dataset = { name: "folder", files: [], train: 1, validation: 1, test: 1 };
  const writer = RunWriter.open(c, { backend: "wasm", dataset });
  assert.throws(
    () => RunWriter.open(c, { backend: "wasm", dataset, resume: true }),
    (e: unknown) => e instanceof RunError && /in use by process/.test(e.message),
  );
  writer.close();
  fs.writeFileSync(path.join(writer.folder, ".lock"), "999999999");
  const again = RunWriter.open(c, { backend: "wasm", dataset, resume: true });
  again.close();
});

test("a model with a missing or truncated weights file fails to load with a clear error", async () => {
  const data = syntheticDataset();
  const result = await runExperiment(config("damaged"), { data });
  result.model.dispose();
  const weights = path.join(result.folder, "model/encoder/weights.bin");
  const bytes = fs.readFileSync(weights);
  fs.writeFileSync(weights, bytes.subarray(0, 10));
  await assert.rejects(
    loadRunModel(loadRun(result.folder)),
    (e: unknown) => e instanceof ModelFilesError && /truncated/.test(e.message),
  );
  fs.rmSync(weights);
  await assert.rejects(
    loadRunModel(loadRun(result.folder)),
    (e: unknown) => e instanceof ModelFilesError && /missing/.test(e.message),
  );
});

test("a run whose config does not fit this version is reported as incompatible", async () => {
  const data = syntheticDataset();
  const result = await runExperiment(config("old-config"), { data });
  result.model.dispose();
  const file = path.join(result.folder, "config.json");
  const saved = JSON.parse(fs.readFileSync(file, "utf8"));
  saved.model.layers = 3;
  fs.writeFileSync(file, JSON.stringify(saved));
  assert.throws(
    () => loadRun(result.folder),
    (e: unknown) =>
      e instanceof RunError &&
      /incompatible config/.test(e.message) &&
      /model\.layers/.test(e.message),
  );
});

test("atomic writes: a failed write leaves the old file; folder swaps always leave one complete copy", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-atomic-"));
  const target = path.join(dir, "f.json");
  writeFileAtomic(target, "old");
  // Writing into a folder that does not exist fails; the old target is untouched, no temp left.
  assert.throws(() => writeFileAtomic(path.join(dir, "missing", "g"), "x"), WriteError);
  assert.equal(fs.readFileSync(target, "utf8"), "old");
  assert.deepEqual(fs.readdirSync(dir), ["f.json"]);
  const folder = path.join(dir, "ckpt");
  replaceFolder(folder, (tmp) => fs.writeFileSync(path.join(tmp, "a"), "1"));
  replaceFolder(folder, (tmp) => fs.writeFileSync(path.join(tmp, "a"), "2"));
  assert.equal(fs.readFileSync(path.join(folder, "a"), "utf8"), "2");
  // A crash between the two renames leaves only <folder>.old: it is still found.
  fs.renameSync(folder, `${folder}.old`);
  assert.equal(resolveCompleteFolder(folder), `${folder}.old`);
  // A fill that throws leaves the previous folder in place.
  fs.renameSync(`${folder}.old`, folder);
  assert.throws(() =>
    replaceFolder(folder, () => {
      throw new Error("disk full");
    }),
  );
  assert.equal(fs.readFileSync(path.join(folder, "a"), "utf8"), "2");
  assert.deepEqual(fs.readdirSync(dir).sort(), ["ckpt", "f.json"]);
  fs.rmSync(dir, { recursive: true });
});

test("a NaN during training marks the run failed and keeps the last good checkpoint loadable", async () => {
  const data = syntheticDataset();
  let poisoned = false;
  const result = runExperiment(config("nan-run", { epochs: 4 }), {
    data,
    reporter: {
      start() {},
      batch() {},
      epoch(r) {
        // After epoch 2 is checkpointed, poison the data so epoch 3 produces a NaN loss.
        if (r.epoch === 2 && !poisoned) {
          data.train.images.fill(Number.NaN, 0, 64);
          poisoned = true;
        }
      },
      end() {},
    },
  });
  await assert.rejects(
    result,
    (e: unknown) => e instanceof Error && /NaN at epoch 3/.test(e.message),
  );
  const run = loadRun(path.join(runsDir, "nan-run"));
  assert.equal(run.record.status, "failed");
  assert.match(run.record.error ?? "", /NaN/);
  assert.equal(run.record.epochsDone, 2);
  assert.equal(run.history.length, 2);
  const model = await loadRunModel(run, "checkpoint");
  const values = reconstructSet(model, data.test, 64);
  assert.ok(values.every(Number.isFinite), "the checkpoint holds the last good (finite) weights");
  model.dispose();
});

test("an interrupted run resumes to exactly the uninterrupted losses and weights", async () => {
  const data = syntheticDataset();
  const make = (name: string) => config(name);
  const full = await runExperiment(make("par-full"), { data });
  full.model.dispose();
  const controller = new AbortController();
  const part = await runExperiment(make("par-part"), {
    data,
    signal: controller.signal,
    reporter: {
      start() {},
      batch() {},
      epoch: (r) => void (r.epoch === 1 && controller.abort()),
      end() {},
    },
  });
  part.model.dispose();
  const resumed = await runExperiment(make("par-part"), { data, resume: true });
  resumed.model.dispose();
  const losses = (h: typeof full.result.history) => h.map((r) => [r.trainLoss, r.valLoss]);
  assert.deepEqual(losses(resumed.result.history), losses(full.result.history));
});

test("a config that cannot train (batch larger than the data) fails before any run folder is made", async () => {
  const data = syntheticDataset();
  await assert.rejects(
    runExperiment(config("too-big-batch", { batchSize: 1000 }), { data }),
    (e: unknown) => e instanceof ConfigError && /train\.batchSize/.test(e.message),
  );
  assert.ok(!fs.existsSync(path.join(runsDir, "too-big-batch")), "no folder left behind");
});

test("training with a checkpoint every epoch holds a constant number of tensors (no leak)", async () => {
  const data = syntheticDataset();
  const counts: number[] = [];
  const result = await runExperiment(config("no-leak", { epochs: 4 }), {
    data,
    reporter: {
      start: () => {},
      batch: () => {},
      epoch: () => void counts.push(tf.memory().numTensors),
      end: () => {},
    },
  });
  result.model.dispose();
  assert.equal(counts.length, 4);
  assert.deepEqual(
    counts,
    counts.map(() => counts[0]),
    `tensors after each epoch: ${counts.join(", ")}`,
  );
});
