// Sweep specs are checked as strictly as configs, before anything starts; two different sweeps
// under one name, or the same sweep twice at once, are refused with a clear error (no Ray here).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runSweep, SweepError, sweepFolder } from "../../lib/sweep/runner";
import {
  gridCombinations,
  loadSweepSpec,
  SweepSpecError,
  trialConfigs,
  trialCount,
  validateSweepSpec,
} from "../../lib/sweep/spec";

const rejects = (raw: unknown, pattern: RegExp) =>
  assert.throws(
    () => validateSweepSpec(raw),
    (e: unknown) => e instanceof SweepSpecError && pattern.test(e.message),
  );

test("a valid spec: defaults filled in, aliases become dotted keys, trials counted", () => {
  const spec = validateSweepSpec({
    name: "lr-code",
    preset: "quick",
    base: { epochs: 2 },
    grid: { latent: [8, 16] },
    sample: { lr: { loguniform: [1e-4, 1e-2] } },
    samples: 3,
    scheduler: "asha",
  });
  assert.deepEqual(spec.base, { "train.epochs": 2 });
  assert.deepEqual(spec.grid, { "model.codeSize": [8, 16] });
  assert.deepEqual(spec.sample, {
    "train.learningRate": { kind: "loguniform", low: 1e-4, high: 1e-2 },
  });
  assert.deepEqual(spec.scheduler, { kind: "asha", gracePeriod: 1, reductionFactor: 2 });
  assert.equal(spec.cpusPerTrial, 1);
  assert.equal(spec.maxFailures, 2);
  assert.equal(trialCount(spec), 6);
  assert.equal(trialConfigs(spec).length, 4); // each grid point at both ends of the range
  assert.deepEqual(gridCombinations({ a: [1, 2], b: ["x", "y"] }).length, 4);
});

test("unknown keys, bad values and bad ranges fail before anything starts, naming the field", () => {
  rejects({ name: "x", grid: { "model.codesize": [8] } }, /Unknown config key "model.codesize"/);
  rejects({ name: "x", grid: { epoch: [1, 2] } }, /Did you mean "train.epochs"/);
  rejects({ name: "x", grid: { latent: [8, 0] } }, /grid.latent.*at least 1/);
  rejects({ name: "x", grid: { latent: [] } }, /grid.latent.*non-empty array/);
  rejects({ name: "x", sample: { lr: { loguniform: [1e-2, 1e-4] } } }, /low .* below high/);
  rejects({ name: "x", sample: { lr: { uniform: [0, 1e-2] } } }, /greater than 0/);
  rejects({ name: "x", sample: { lr: { normal: [0, 1] } } }, /expected one of/);
  rejects({ name: "x", sample: { latent: { uniform: [2, 8] } } }, /integer key: use randint/);
  rejects({ name: "x", sample: { lr: { randint: [1, 3] } } }, /randint needs an integer key/);
  rejects({ name: "x", sample: { noise: { uniform: [0, 1] } } }, /numeric key.*use choice/);
  rejects({ name: "x", grid: { run: ["a"] } }, /set by the sweep for each trial/);
  rejects({ name: "x", base: { epochs: -1 }, grid: { latent: [8] } }, /base.epochs.*at least 1/);
  rejects({ name: "x" }, /nothing varies/);
  rejects(
    { name: "x", grid: { latent: [8] }, shceduler: "asha" },
    /Unknown sweep spec field "shceduler"/,
  );
  rejects(
    { name: "x", grid: { latent: [8] }, scheduler: { kind: "asha", grace: 1 } },
    /scheduler.grace/,
  );
  rejects(
    { name: "x", grid: { latent: [8] }, scheduler: { kind: "asha", reductionFactor: 1 } },
    /2\.\.100/,
  );
  rejects({ name: "../x", grid: { latent: [8] } }, /"name"/);
  rejects({ name: "x", grid: { latent: [8] }, cpusPerTrial: 0 }, /cpusPerTrial/);
  rejects({ name: "x", grid: { latent: [8] }, samples: 2 }, /samples/);
  rejects(
    {
      name: "x",
      variants: [
        { name: "a", overrides: {} },
        { name: "a", overrides: {} },
      ],
    },
    /appears twice/,
  );
  // A combination can be invalid even when each value is valid on its own.
  rejects(
    { name: "x", grid: { "model.noise.kind": ["gaussian"], "model.noise.level": [0] } },
    /noise.level/,
  );
});

test("a spec file that is not JSON, or missing, is named in the error", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-sweep-spec-"));
  try {
    const file = path.join(dir, "bad.json");
    fs.writeFileSync(file, "{ name: ");
    assert.throws(() => loadSweepSpec(file), /bad\.json is not valid JSON/);
    assert.throws(() => loadSweepSpec(path.join(dir, "none.json")), /Cannot read the sweep spec/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("two sweeps with one name: another spec is refused, a running one is refused", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-sweep-name-"));
  try {
    const spec = (codes: number[]) =>
      validateSweepSpec({
        name: "same",
        preset: "quick",
        base: { "train.runsDir": dir },
        grid: { latent: codes },
      });
    const first = spec([4, 8]);
    const folder = sweepFolder(first);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, "spec.json"), JSON.stringify(first));
    await assert.rejects(
      runSweep(spec([16])),
      (e: unknown) =>
        e instanceof SweepError && /already exists .* with another spec/.test(e.message),
    );
    // The same spec while a live process holds the sweep's lock (this test's own process).
    fs.writeFileSync(path.join(folder, ".sweep.lock"), String(process.pid));
    await assert.rejects(
      runSweep(first),
      (e: unknown) => e instanceof SweepError && /already running \(process \d+/.test(e.message),
    );
    // Nothing was started or half-written: the first sweep's spec is untouched.
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(folder, "spec.json"), "utf8")), first);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
