// ensureRun: train a named variant once, reuse it, resume it, set aside one with another config.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { AnomalyInputError } from "../../lib/apps/anomaly";
import { heldOutStudy, heldOutTable, heldOutVariants } from "../../lib/apps/heldout";
import {
  ensureRun,
  ensureRuns,
  ensuredRunLine,
  findPlainRun,
  plainRunReason,
  runState,
  variantConfig,
} from "../../lib/apps/variants";
import { quickConfig, resolveConfig, type ExperimentConfig } from "../../lib/config";
import { loadDataset } from "../../lib/data";
import type { Dataset } from "../../lib/data/types";
import { RunError, loadRunModel } from "../../lib/runs/run-folder";
import type { ProgressReporter } from "../../lib/train/experiment";

let runsDir: string;
let base: ExperimentConfig;
let mnist: Dataset;

before(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "variants-"));
  base = resolveConfig(
    {
      data: { trainLimit: 256, testLimit: 64, validationFraction: 0.01 },
      model: { codeSize: 4, hiddenSizes: [16] },
      train: { epochs: 2, batchSize: 64, runsDir, backend: "wasm" },
    },
    quickConfig(),
  );
  mnist = await loadDataset(base.data);
});

after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

test("ensureRun trains a variant once, then reuses it; the saved config holds the overrides", async () => {
  const first = await ensureRun(
    "heldout-7",
    { data: { excludeClasses: [7] } },
    { base, dataset: mnist },
  );
  assert.equal(first.action, "trained");
  assert.equal(first.run.record.status, "completed");
  assert.deepEqual(first.run.config.data.excludeClasses, [7]);
  assert.equal(first.run.history.length, 2);
  assert.equal(first.folder, path.join(runsDir, "heldout-7"));
  const again = await ensureRun("heldout-7", { data: { excludeClasses: [7] } }, { base });
  assert.equal(again.action, "reused");
  assert.deepEqual(again.run.history, first.run.history);
  assert.match(ensuredRunLine(again), /^heldout-7: reused \(2 epochs, val loss \d\.\d{4}\)$/);
  const model = await loadRunModel(again.run);
  assert.deepEqual(model.encoder.outputs[0].shape, [null, 4]);
  model.encoder.dispose();
  model.decoder.dispose();
});

test("a run of the same name with another config is set aside (kept) and retrained, or refused", async () => {
  await ensureRun("variant-a", {}, { base, dataset: mnist });
  await assert.rejects(
    ensureRun(
      "variant-a",
      { model: { codeSize: 3 } },
      { base, dataset: mnist, onOtherConfig: "error" },
    ),
    (e: unknown) => e instanceof RunError && /another config/.test(e.message),
  );
  const changed = await ensureRun(
    "variant-a",
    { model: { codeSize: 3 } },
    { base, dataset: mnist },
  );
  assert.equal(changed.action, "trained");
  assert.equal(changed.run.config.model.codeSize, 3);
  assert.ok(changed.setAsideTo && fs.existsSync(path.join(changed.setAsideTo, "run.json")));
  assert.match(path.basename(changed.setAsideTo), /^variant-a-\d{14}$/);
});

test("an interrupted variant is resumed from its checkpoint by the next ensureRun", async () => {
  const stop = new AbortController();
  const reporter: ProgressReporter = {
    start() {},
    batch: (p) => {
      if (p.epoch === 2) stop.abort();
    },
    epoch() {},
    end() {},
  };
  await assert.rejects(
    ensureRun("stopped", {}, { base, dataset: mnist, reporter, signal: stop.signal }),
    (e: unknown) => e instanceof RunError && /interrupted/.test(e.message),
  );
  assert.equal(runState(variantConfig("stopped", {}, base)).kind, "unfinished");
  const resumed = await ensureRun("stopped", {}, { base, dataset: mnist });
  assert.equal(resumed.action, "resumed");
  assert.equal(resumed.run.history.length, 2);
  assert.equal(resumed.run.record.status, "completed");
});

test("ensureRuns loads the dataset itself and reports each run; a wrong dataset is refused", async () => {
  const lines: string[] = [];
  const runs = await ensureRuns(
    [
      { name: "heldout-7", overrides: { data: { excludeClasses: [7] } } },
      { name: "sp", overrides: { model: { noise: { kind: "salt-and-pepper", level: 0.2 } } } },
    ],
    { base, onRun: (run) => lines.push(ensuredRunLine(run)) },
  );
  assert.deepEqual(
    runs.map((r) => r.action),
    ["reused", "trained"],
  );
  assert.equal(lines.length, 2);
  await assert.rejects(
    ensureRun("fashion", { data: { dataset: "fashion-mnist" } }, { base, dataset: mnist }),
    (e: unknown) => e instanceof RunError && /Pass the matching dataset/.test(e.message),
  );
  // Reusing a run creates no tensors. (A training leaves 2 behind inside runExperiment, not here.)
  const before = tf.memory().numTensors;
  await ensureRun("sp", { model: { noise: { kind: "salt-and-pepper", level: 0.2 } } }, { base });
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
});

test("findPlainRun skips runs with noise or excluded classes; heldOutStudy scores a held-out run", async () => {
  assert.equal(findPlainRun(runsDir, "variant-a")?.record.name, "variant-a");
  // heldout-7 excludes a class and sp has noise: the newest plain run is "stopped".
  assert.equal(findPlainRun(runsDir, "heldout-7")?.record.name, "stopped");
  assert.equal(findPlainRun(runsDir, "missing")?.record.name, "stopped");
  // What notebooks 07 and 08 print about the run they use, in their parameters' names.
  const reason = (preferred: string) =>
    plainRunReason(findPlainRun(runsDir, preferred), preferred, "modelRun");
  assert.equal(reason("variant-a"), '"variant-a", as `modelRun` asks');
  assert.match(
    reason("missing"),
    /^the newest finished plain run, since "missing" is missing .*`modelRun`/,
  );
  assert.match(plainRunReason(null, "reference", "modelRun"), /one is trained/);
  assert.equal(findPlainRun(path.join(runsDir, "nothing-here")), null);
  const held = (await ensureRun("heldout-7", { data: { excludeClasses: [7] } }, { base })).run;
  const [result] = await heldOutStudy([held], mnist);
  assert.equal(result.held, 7);
  assert.deepEqual(Object.keys(result.curves), ["bce", "mse", "unionMse", "relative", "latent"]);
  for (const curve of Object.values(result.curves)) {
    assert.ok(curve.auroc >= 0 && curve.auroc <= 1);
    assert.ok(curve.positives > 0 && curve.positives + curve.negatives === 64);
  }
  assert.deepEqual(
    heldOutTable([result]).map((r) => r["held-out class"]),
    ["7", "mean"],
  );
  assert.deepEqual(
    heldOutVariants([0, 3]).map((v) => [v.name, v.overrides]),
    [
      ["heldout-0", { "data.excludeClasses": [0] }],
      ["heldout-3", { "data.excludeClasses": [3] }],
    ],
  );
  const plain = findPlainRun(runsDir, "variant-a") as NonNullable<ReturnType<typeof findPlainRun>>;
  await assert.rejects(heldOutStudy([plain], mnist), AnomalyInputError);
});
