// ensureDecRun and the parent it was fine-tuned from: reused while the parent is the same run,
// moved aside and fine-tuned anew when the parent was retrained under the same name and config
// (same config, other weights and creation time); a stopped run is not resumed from another parent.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { ensureRun } from "../../lib/apps/variants";
import { quickConfig, resolveConfig, type ExperimentConfig } from "../../lib/config";
import { loadRun, RunError } from "../../lib/runs/run-folder";
import {
  decRunConfig,
  ensureDecRun,
  fineTuneClustering,
  PARENT_FILE,
  parentIdentity,
  recordedParent,
} from "../../lib/train/idec";

let runsDir: string;
let base: ExperimentConfig;
// Tiny and quick: k-means start, two target updates of 3 steps.
const DEC = {
  init: "kmeans",
  updateInterval: 3,
  maxEpochs: 1,
  batchSize: 100,
  tolerance: 0,
} as const;

before(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "idec-parent-"));
  base = resolveConfig(
    {
      data: { trainLimit: 600, testLimit: 100, validationFraction: 0.1 },
      model: { codeSize: 4, hiddenSizes: [16] },
      train: { epochs: 1, batchSize: 100, runsDir, backend: "wasm" },
      analysis: { kmeansRestarts: 1 },
    },
    quickConfig(),
  );
});

after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

test("ensureDecRun reuses a run of the same parent, and fine-tunes anew after the parent is retrained", async () => {
  const parent = await ensureRun("parent", {}, { base });
  const first = await ensureDecRun("tuned", "parent", DEC, { runsDir });
  assert.equal(first.action, "trained");
  const recorded = recordedParent(first.run);
  assert.deepEqual(recorded, parentIdentity(parent.run));
  assert.match(recorded?.modelSha256 ?? "", /^[0-9a-f]{64}$/);
  assert.equal((await ensureDecRun("tuned", "parent", DEC, { runsDir })).action, "reused");

  // Retrain the parent under the same name and config: other weights (another seed would do as
  // well; here the creation time alone already differs), so the old fine-tuning is stale.
  fs.rmSync(path.join(runsDir, "parent"), { recursive: true });
  const retrained = await ensureRun("parent", {}, { base });
  assert.equal(retrained.action, "trained");
  assert.deepEqual(retrained.run.config, parent.run.config);
  const lines: string[] = [];
  const again = await ensureDecRun("tuned", "parent", DEC, { runsDir, log: (l) => lines.push(l) });
  assert.equal(again.action, "trained");
  assert.deepEqual(recordedParent(again.run), parentIdentity(retrained.run));
  assert.match(
    lines.join("\n"),
    /another "parent" \(retrained since, or not recorded\) was moved to/,
  );
  const aside = fs.readdirSync(runsDir).filter((f) => f.startsWith("tuned-"));
  assert.equal(aside.length, 1, "the old fine-tuning is kept beside, not deleted");
  assert.deepEqual(recordedParent(loadRun(path.join(runsDir, aside[0]))), recorded);

  // A finished run without a recorded parent (made before parent.json existed) is not trusted.
  fs.rmSync(path.join(again.run.folder, PARENT_FILE));
  assert.equal((await ensureDecRun("tuned", "parent", DEC, { runsDir })).action, "trained");
});

test("fineTuneClustering refuses to resume a run started from another parent", async () => {
  await ensureRun("parent-b", {}, { base });
  const config = decRunConfig(loadRun("parent-b", runsDir), "tuned-b", DEC, runsDir);
  const controller = new AbortController();
  const stopped = await fineTuneClustering(config, {
    signal: controller.signal,
    onUpdate: () => controller.abort(),
  });
  assert.equal(stopped.stopReason, "interrupted");
  fs.rmSync(path.join(runsDir, "parent-b"), { recursive: true });
  await ensureRun("parent-b", {}, { base });
  await assert.rejects(fineTuneClustering(config, { resume: true }), (e: unknown) => {
    assert.ok(e instanceof RunError);
    assert.match((e as Error).message, /fine-tuned from another "parent-b"/);
    return true;
  });
});
