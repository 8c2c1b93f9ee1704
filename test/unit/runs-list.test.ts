// listRuns / latestRun / selectRuns on run folders written by hand in a temp dir (real types and
// defaultConfig), including damaged folders that must be listed, not crash the listing.
import { after, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultConfig, type ExperimentConfig } from "../../lib/config";
import {
  chooseRun,
  latestRun,
  listRuns,
  NoRunsError,
  runChoiceLine,
  runsTable,
  selectRuns,
} from "../../lib/runs/list";
import { RunError, type RunRecord, type RunStatus } from "../../lib/runs/run-folder";
import type { EpochRecord } from "../../lib/train/trainer";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-runs-list-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let dirCount = 0;
const newRunsDir = () => {
  const dir = path.join(tmp, `runs-${dirCount++}`);
  fs.mkdirSync(dir);
  return dir;
};

function epochs(valLosses: number[]): EpochRecord[] {
  return valLosses.map((valLoss, i) => ({
    epoch: i + 1,
    trainLoss: valLoss + 0.01,
    valLoss,
    valBce: valLoss,
    valMse: valLoss / 20,
    trainSeconds: 3,
    epochSeconds: 4,
    samplesPerSecond: 10000,
  }));
}

interface RunSpec {
  name: string;
  status?: RunStatus;
  createdAt: string;
  history?: EpochRecord[];
  config?: (c: ExperimentConfig) => void;
  variant?: boolean;
}

function writeRun(runsDir: string, spec: RunSpec): string {
  const folder = path.join(runsDir, spec.name);
  fs.mkdirSync(folder, { recursive: true });
  const history = spec.history ?? [];
  const record: RunRecord = {
    name: spec.name,
    status: spec.status ?? "completed",
    backend: "wasm (SIMD, 1 thread)",
    createdAt: spec.createdAt,
    updatedAt: spec.createdAt,
    epochsDone: history.length,
    dataset: { name: "mnist", files: [], train: 50000, validation: 10000, test: 10000 },
    versions: { node: process.version, tfjs: "4.22.0" },
    ...(spec.variant ? { variant: true } : {}),
  };
  const config = defaultConfig();
  config.train.runName = spec.name;
  spec.config?.(config);
  fs.writeFileSync(path.join(folder, "run.json"), JSON.stringify(record));
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(config));
  if (spec.history) fs.writeFileSync(path.join(folder, "history.json"), JSON.stringify(history));
  return folder;
}

test("lists every folder with a run.json, newest first, with config and loss summary", () => {
  const dir = newRunsDir();
  writeRun(dir, {
    name: "old",
    createdAt: "2026-11-01T10:00:00.000Z",
    history: epochs([0.2, 0.1, 0.12]),
  });
  writeRun(dir, {
    name: "new-conv",
    createdAt: "2026-11-03T10:00:00.000Z",
    history: epochs([0.09, 0.08]),
    config: (c) => {
      c.model.kind = "conv";
      c.model.codeSize = 32;
      c.train.epochs = 10;
      c.model.noise.kind = "gaussian";
    },
  });
  writeRun(dir, { name: "middle", status: "running", createdAt: "2026-11-02T10:00:00.000Z" });
  fs.mkdirSync(path.join(dir, "not-a-run")); // no run.json: ignored
  fs.writeFileSync(path.join(dir, "stray.txt"), "x"); // not a folder: ignored

  const runs = listRuns(dir);
  assert.deepEqual(
    runs.map((r) => r.name),
    ["new-conv", "middle", "old"],
  );
  const [conv, middle, old] = runs;
  assert.equal(conv.folder, path.join(dir, "new-conv"));
  assert.equal(conv.status, "completed");
  assert.equal(conv.modelKind, "conv");
  assert.equal(conv.codeSize, 32);
  assert.equal(conv.epochs, 10);
  assert.equal(conv.noise, "gaussian");
  assert.equal(conv.loss, "bce");
  assert.equal(conv.epochsDone, 2);
  assert.equal(conv.error, undefined);

  assert.equal(old.modelKind, "dense");
  assert.equal(old.codeSize, 64);
  assert.equal(old.epochs, 25);
  assert.equal(old.finalValLoss, 0.12);
  assert.ok(Math.abs((old.finalTrainLoss as number) - 0.13) < 1e-12);
  assert.equal(old.bestValLoss, 0.1);
  assert.equal(old.bestEpoch, 2);

  // A run with no history yet: zero epochs, null losses, not an error.
  assert.equal(middle.status, "running");
  assert.equal(middle.epochsDone, 0);
  assert.equal(middle.finalValLoss, null);
  assert.equal(middle.bestEpoch, null);
  assert.equal(middle.error, undefined);
});

test("damaged folders are listed with an error and the rest of the listing survives", () => {
  const dir = newRunsDir();
  writeRun(dir, { name: "good", createdAt: "2026-11-01T10:00:00.000Z", history: epochs([0.1]) });
  const broken = writeRun(dir, { name: "broken-json", createdAt: "2026-11-02T10:00:00.000Z" });
  fs.writeFileSync(path.join(broken, "run.json"), '{"name": "broken-json", "stat'); // truncated
  const badConfig = writeRun(dir, {
    name: "bad-config",
    createdAt: "2026-11-03T10:00:00.000Z",
    history: epochs([0.3, 0.2]),
  });
  fs.writeFileSync(
    path.join(badConfig, "config.json"),
    JSON.stringify({ ...defaultConfig(), model: { ...defaultConfig().model, kind: "rnn" } }),
  );
  const badHistory = writeRun(dir, { name: "bad-history", createdAt: "2026-11-04T10:00:00.000Z" });
  fs.writeFileSync(path.join(badHistory, "history.json"), JSON.stringify({ epochs: 3 }));
  const noStatus = writeRun(dir, { name: "no-status", createdAt: "2026-11-05T10:00:00.000Z" });
  fs.writeFileSync(path.join(noStatus, "run.json"), "[]");

  const runs = listRuns(dir);
  assert.equal(runs.length, 5);
  const byName = new Map(runs.map((r) => [r.name, r]));

  const json = byName.get("broken-json");
  assert.ok(json);
  assert.equal(json.status, "damaged");
  assert.match(json.error ?? "", /not valid JSON.*damaged/);
  assert.equal(json.modelKind, "dense"); // its config is still read

  const config = byName.get("bad-config");
  assert.ok(config);
  assert.equal(config.status, "completed");
  assert.match(config.error ?? "", /^config: .*model\.kind/);
  assert.equal(config.modelKind, null);
  assert.equal(config.bestValLoss, 0.2); // its history is still read

  assert.match(byName.get("bad-history")?.error ?? "", /not a list of epoch records/);
  assert.match(byName.get("no-status")?.error ?? "", /has no status/);
  assert.equal(byName.get("good")?.error, undefined);
});

test("latestRun: newest undamaged run, optionally by status; null when none", () => {
  const dir = newRunsDir();
  assert.equal(latestRun(dir), null);
  assert.equal(latestRun(path.join(dir, "missing")), null);
  assert.deepEqual(listRuns(path.join(dir, "missing")), []);
  writeRun(dir, { name: "a-done", createdAt: "2026-11-01T00:00:00.000Z", history: epochs([0.1]) });
  writeRun(dir, {
    name: "b-stopped",
    status: "early-stopping",
    createdAt: "2026-11-02T00:00:00.000Z",
    history: epochs([0.1]),
  });
  writeRun(dir, {
    name: "c-interrupted",
    status: "interrupted",
    createdAt: "2026-11-03T00:00:00.000Z",
    history: epochs([0.1]),
  });
  const damaged = writeRun(dir, { name: "d-damaged", createdAt: "2026-11-04T00:00:00.000Z" });
  fs.writeFileSync(path.join(damaged, "config.json"), "{");

  assert.equal(latestRun(dir)?.name, "c-interrupted");
  assert.equal(latestRun(dir, { status: "completed" })?.name, "a-done");
  assert.equal(latestRun(dir, { status: "finished" })?.name, "b-stopped");
  assert.equal(latestRun(dir, { status: "failed" }), null);
});

test("selectRuns: named runs in order, or the latest finished run plus up to N others", () => {
  const dir = newRunsDir();
  for (let i = 0; i < 7; i++) {
    writeRun(dir, {
      name: `run-${i}`,
      status: i === 6 ? "interrupted" : "completed",
      createdAt: `2026-11-0${i + 1}T00:00:00.000Z`,
      history: epochs([0.2, 0.1]),
    });
  }
  writeRun(dir, { name: "run-empty", createdAt: "2026-11-09T00:00:00.000Z", history: [] });

  assert.deepEqual(
    selectRuns(["run-1", "run-4"], dir).map((r) => r.name),
    ["run-1", "run-4"],
  );
  // run-6 is newer but interrupted: the latest finished run (run-5) leads; the empty run is skipped.
  assert.deepEqual(
    selectRuns([], dir).map((r) => r.name),
    ["run-5", "run-6", "run-4", "run-3", "run-2"],
  );
  assert.deepEqual(
    selectRuns([], dir, { others: 1 }).map((r) => r.name),
    ["run-5", "run-6"],
  );
  assert.throws(() => selectRuns(["run-empty"], dir), /"run-empty" has no finished epoch yet/);
  assert.throws(
    () => selectRuns(["nope"], dir),
    (e: unknown) =>
      e instanceof RunError && /No run named "nope".*Runs there: run-empty/.test(e.message),
  );
});

test("selectRuns by default puts comparison variants after the runs a user trained", () => {
  const dir = newRunsDir();
  writeRun(dir, { name: "mine", createdAt: "2026-11-01T00:00:00.000Z", history: epochs([0.2]) });
  for (const [i, name] of ["rd-code-2", "heldout-3"].entries()) {
    writeRun(dir, {
      name,
      createdAt: `2026-11-0${i + 2}T00:00:00.000Z`,
      history: epochs([0.3]),
      variant: true,
    });
  }
  assert.deepEqual(
    selectRuns([], dir).map((r) => [r.name, r.variant]),
    [
      ["mine", false],
      ["heldout-3", true],
      ["rd-code-2", true],
    ],
  );
  // Named explicitly, a variant is as selectable as any run.
  assert.deepEqual(
    selectRuns(["rd-code-2"], dir).map((r) => r.name),
    ["rd-code-2"],
  );
  // With only variants, the newest finished one is still shown rather than nothing.
  const onlyVariants = newRunsDir();
  writeRun(onlyVariants, {
    name: "vae-2",
    createdAt: "2026-11-01T00:00:00.000Z",
    history: epochs([0.3]),
    variant: true,
  });
  assert.deepEqual(
    selectRuns([], onlyVariants).map((r) => r.name),
    ["vae-2"],
  );
});

test("selectRuns with no usable run says how to train one", () => {
  const dir = newRunsDir();
  assert.throws(
    () => selectRuns([], dir),
    (e: unknown) =>
      e instanceof NoRunsError &&
      /No run with a finished epoch in .*02-training\.ipynb.*npm run train/.test(e.message),
  );
  const damaged = writeRun(dir, { name: "x", createdAt: "2026-11-01T00:00:00.000Z" });
  fs.writeFileSync(path.join(damaged, "run.json"), "");
  assert.throws(() => selectRuns([], dir), /1 folder\(s\), none usable/);
  assert.throws(() => selectRuns(["x"], dir), /Run "x" is damaged/);
});

test("NoRunsError prints as its message alone (no stack frames in a notebook cell)", () => {
  const error = new NoRunsError("No run: train one first.");
  assert.equal(error.stack, "NoRunsError: No run: train one first.");
  assert.ok(error instanceof RunError);
});

test("runsTable: one row per run, damaged runs with their problem", () => {
  const dir = newRunsDir();
  writeRun(dir, {
    name: "dn",
    createdAt: "2026-11-01T10:05:00.000Z",
    history: epochs([0.2, 0.1]),
    config: (c) => {
      c.model.noise.kind = "masking";
      c.model.codeSize = 16;
    },
  });
  const bad = writeRun(dir, { name: "bad", createdAt: "2026-11-02T00:00:00.000Z" });
  fs.writeFileSync(path.join(bad, "config.json"), "{");
  const rows = runsTable(listRuns(dir));
  assert.deepEqual(rows[1], {
    run: "dn",
    status: "completed",
    model: "dense, code 16, masking",
    epochs: "2/25",
    loss: "bce",
    "final val loss": 0.1,
    "best val loss": 0.1,
    "best epoch": 2,
    created: "2026-11-01 10:05",
    problem: "",
  });
  assert.equal(rows[0].model, "?");
  assert.equal(rows[0].epochs, "0/?");
  assert.match(rows[0].problem as string, /config: .*not valid JSON/);
});

test("chooseRun: the reference run by default, the newest one parameter away, and says why", () => {
  const dir = newRunsDir();
  const rel = path.relative(process.cwd(), dir);
  writeRun(dir, { name: "older", createdAt: "2026-11-01T10:00:00.000Z", history: epochs([0.2]) });
  writeRun(dir, {
    name: "small-test",
    createdAt: "2026-11-05T10:00:00.000Z",
    history: epochs([0.3]),
  });
  // No reference run yet: the newest finished run, and the line says why.
  let choice = chooseRun(null, dir);
  assert.equal(choice.run.record.name, "small-test");
  assert.match(choice.why, /^the newest finished run, since .* has no "reference" run/);

  // An unfinished reference run is passed over, naming its status.
  writeRun(dir, {
    name: "reference",
    status: "interrupted",
    createdAt: "2026-11-02T10:00:00.000Z",
    history: epochs([0.1]),
  });
  choice = chooseRun(null, dir);
  assert.equal(choice.run.record.name, "small-test");
  assert.match(choice.why, /the reference run is not finished \(status interrupted\)/);

  // A finished reference run wins over a newer small run.
  writeRun(dir, {
    name: "reference",
    createdAt: "2026-11-02T10:00:00.000Z",
    history: epochs([0.1, 0.08]),
  });
  choice = chooseRun(null, dir);
  assert.equal(choice.run.record.name, "reference");
  assert.equal(choice.run.history.length, 2);
  assert.match(
    choice.why,
    /^the reference run \(`runName = null` picks "reference".*`runName = "newest"`/,
  );
  const line = runChoiceLine(choice);
  assert.ok(line.startsWith(`Analysing run "reference" (`), line);
  if (!rel.startsWith("..")) assert.ok(line.includes(rel), line);

  // "newest" is one parameter away; a name picks that run.
  choice = chooseRun("newest", dir);
  assert.equal(choice.run.record.name, "small-test");
  assert.match(choice.why, /newest finished run .*`runName = "newest"`/);
  choice = chooseRun("older", dir);
  assert.equal(choice.run.record.name, "older");
  assert.match(choice.why, /`runName = "older"`/);
  assert.throws(() => chooseRun("nope", dir), /No run named "nope".*Runs there: small-test/);
});
