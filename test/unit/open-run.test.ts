// openRun (lib/runs/open-run.ts) on tiny runs trained here on real MNIST in a temporary runs
// folder: which run a name opens and why, nothing loaded before it is asked for and everything
// loaded once, codes and maps read back from the run cache by the next open, and recomputed when
// the model changes.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../../lib/config";
import { loadDataset, prepareDataset } from "../../lib/data";
import { sampleCodes } from "../../lib/runs/code-sample";
import { codesFolder } from "../../lib/runs/codes";
import { embeddingsFolder } from "../../lib/runs/embeddings";
import { openRun } from "../../lib/runs/open-run";
import { loadRun } from "../../lib/runs/run-folder";
import { runExperiment } from "../../lib/train/experiment";
import { useTestBackend } from "../helpers/backend";
import { tinyRunConfig } from "../helpers/run-config";

let runsDir: string;

/** The tiny run config on the first 300 training and 100 test MNIST images. */
function mnistTinyConfig(name: string): ExperimentConfig {
  const config = tinyRunConfig(name, runsDir);
  return {
    ...config,
    data: { ...config.data, trainLimit: 300, testLimit: 100 },
    analysis: { ...config.analysis, sampleCount: 60 },
  };
}

/** A copy of run `from` named `name`, created at `createdAt` (for name resolution). */
function copyRun(from: string, name: string, createdAt: string, status?: string): string {
  const folder = path.join(runsDir, name);
  fs.cpSync(path.join(runsDir, from), folder, { recursive: true });
  const file = path.join(folder, "run.json");
  const record = JSON.parse(fs.readFileSync(file, "utf8"));
  fs.writeFileSync(
    file,
    JSON.stringify({ ...record, name, createdAt, status: status ?? record.status }),
  );
  return folder;
}

before(async () => {
  await useTestBackend();
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-open-run-"));
  const result = await runExperiment(mnistTinyConfig("tiny"));
  result.model.dispose();
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

test("a name opens the run notebooks would pick, and the handle says why", () => {
  copyRun("tiny", "older", "2020-01-01T00:00:00.000Z");
  copyRun("tiny", "newer", "2030-01-01T00:00:00.000Z");
  // No reference run: the newest finished run.
  let run = openRun(null, { runsDir });
  assert.equal(run.name, "newer");
  assert.match(run.why, /newest finished run, since .* has no "reference" run/);
  // An unfinished reference run is passed over; a finished one wins over newer runs.
  copyRun("tiny", "reference", "2021-01-01T00:00:00.000Z", "interrupted");
  assert.match(openRun(undefined, { runsDir }).why, /reference run is not finished/);
  fs.rmSync(path.join(runsDir, "reference"), { recursive: true });
  copyRun("tiny", "reference", "2021-01-01T00:00:00.000Z");
  run = openRun(null, { runsDir });
  assert.equal(run.name, "reference");
  assert.ok(run.describe().startsWith(`Analysing run "reference" (`), run.describe());
  assert.ok(run.describe().endsWith(`${run.why}.`));
  assert.equal(openRun("newest", { runsDir }).name, "newer");
  assert.equal(openRun("older", { runsDir }).name, "older");
  // A path opens that folder, wherever it is.
  const byPath = openRun(path.join(runsDir, "older"));
  assert.equal(byPath.name, "older");
  assert.equal(byPath.folder, path.join(runsDir, "older"));
  assert.throws(() => openRun("nope", { runsDir }), /No run named "nope"/);
  // The handle is a LoadedRun: the same record, config, history and metrics.
  const loaded = loadRun(path.join(runsDir, "older"));
  assert.deepEqual(
    [byPath.record, byPath.config, byPath.history, byPath.metrics],
    [loaded.record, loaded.config, loaded.history, loaded.metrics],
  );
  assert.equal(byPath.finished, true);
  assert.equal(byPath.analysis.sampleCount, 60);
  assert.equal(openRun("older", { runsDir, analysis: { sampleCount: 7 } }).analysis.sampleCount, 7);
  for (const name of ["older", "newer", "reference"]) {
    fs.rmSync(path.join(runsDir, name), { recursive: true });
  }
});

test("nothing is loaded until asked for, and each part once; dispose frees the model", async () => {
  const tensors = tf.memory().numTensors;
  const run = openRun("tiny", { runsDir });
  assert.equal(tf.memory().numTensors, tensors, "no model loaded by opening");
  assert.equal(fs.existsSync(codesFolder(run.folder)), false, "no codes encoded by opening");
  assert.equal(run.history.length, 3);

  const model = await run.model();
  assert.ok(tf.memory().numTensors > tensors);
  assert.equal(await run.model(), model);
  const data = await run.data();
  assert.equal(await run.data(), data);
  assert.equal((await run.testSet()).set, data.test);
  assert.equal(data.test.count, 100);
  assert.equal(fs.existsSync(codesFolder(run.folder)), false, "no codes until codes()");

  const codes = await run.codes();
  assert.equal(codes.source, "encoded");
  assert.equal(await run.codes("test"), codes);
  assert.equal(await codes.images(), data.test.images, "images come from the handle's data");
  const sample = await run.sample();
  assert.equal(sample.n, 60);
  assert.deepEqual(sample, sampleCodes(codes, 60, 42));
  assert.equal(await run.sample(), sample);
  assert.equal((await run.sample(10, 1)).n, 10);
  const pca = await run.pca();
  assert.equal(await run.pca(), pca);
  assert.equal(pca.count, 4);
  // Nothing but the test codes was written.
  assert.deepEqual(fs.readdirSync(codesFolder(run.folder)).sort(), [
    "test.f32",
    "test.json",
    "test.labels.u8",
  ]);

  run.dispose();
  assert.equal(tf.memory().numTensors, tensors, "dispose frees the model");
  const again = await run.model();
  assert.notEqual(again, model, "after dispose, the model is loaded again");
  run.dispose();
});

test("the next open reads codes and maps from the run cache; a changed model makes them stale", async () => {
  const first = openRun("tiny", { runsDir });
  const [tsne, umap] = [await first.tsne({ iterations: 50 }), await first.umap()];
  assert.equal(tsne.source, "computed");
  assert.equal(tsne.n, 60);
  assert.equal(tsne.settings, "perplexity 19 (lowered for 60 points), 50 iterations");
  assert.equal(umap.settings, "15 neighbours, minDist 0.1");
  assert.equal(await first.tsne({ iterations: 50 }), tsne, "memoised in the handle");
  first.dispose();
  assert.deepEqual(
    fs
      .readdirSync(embeddingsFolder(first.folder))
      .map((f) => f.replace(/-[0-9a-f]{12}\./, "-*."))
      .sort(),
    ["tsne-*.f32", "tsne-*.json", "umap-*.f32", "umap-*.json"],
  );

  const second = openRun("tiny", { runsDir });
  const cachedCodes = await second.codes();
  assert.equal(cachedCodes.source, "cache");
  const [tsne2, umap2] = [await second.tsne({ iterations: 50 }), await second.umap()];
  assert.equal(tsne2.source, "cache");
  assert.equal(umap2.source, "cache");
  assert.deepEqual(tsne2.embedding, tsne.embedding);
  assert.deepEqual(umap2.embedding, umap.embedding);
  // Other settings: another entry, computed.
  assert.equal((await second.tsne({ iterations: 40 })).source, "computed");
  second.dispose();

  // The encoder's weights changed (as after --resume): new codes, so new maps.
  const weights = path.join(runsDir, "tiny", "model", "encoder", "weights.bin");
  const bytes = fs.readFileSync(weights);
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  values.forEach((v, i) => (values[i] = v + 0.05 * Math.sin(i)));
  fs.writeFileSync(weights, bytes);
  const retrained = openRun("tiny", { runsDir });
  const codes = await retrained.codes();
  assert.equal(codes.source, "encoded");
  assert.match(codes.reason ?? "", /stale/);
  assert.notDeepEqual(codes.codes, cachedCodes.codes);
  const tsne3 = await retrained.tsne({ iterations: 50 });
  assert.equal(tsne3.source, "computed");
  assert.match(tsne3.reason ?? "", /stale/);
  assert.notDeepEqual(tsne3.embedding, tsne.embedding);
  retrained.dispose();
  assert.equal((await openRun("tiny", { runsDir }).tsne({ iterations: 50 })).source, "cache");
});

test("an old (format 1) cache is recomputed, never misread", async () => {
  const run = openRun("tiny", { runsDir });
  const record = path.join(codesFolder(run.folder), "test.json");
  const current = JSON.parse(fs.readFileSync(record, "utf8"));
  // What the codes cache (formerly lib/latent/codes.ts) wrote before the run cache: another layout, same file names.
  fs.writeFileSync(
    record,
    JSON.stringify({ format: 1, split: "test", n: 100, dim: 4, fingerprint: current.fingerprint }),
  );
  const codes = await run.codes();
  assert.equal(codes.source, "encoded");
  assert.match(codes.reason ?? "", /another version of this project \(cache format 1\)/);
  const data = prepareDataset(await loadDataset(run.config.data), run.config.data, run.config.seed);
  assert.deepEqual(codes.labels, data.test.labels);
  run.dispose();
});
