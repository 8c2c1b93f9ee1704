// Really kill an IDEC fine-tuning process (SIGKILL, between target updates), resume it, and check
// that it ends exactly as an uninterrupted fine-tuning of the same parent: same history, same
// centroids, same test scores, and a completed, loadable run marked as derived from its parent.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../lib/paths";

const TRAIN = path.join(PROJECT_ROOT, "scripts/train.ts");
const IDEC = path.join(PROJECT_ROOT, "scripts/idec.ts");
let runsDir: string;
before(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-idec-kill-"));
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

const env = { ...process.env, AE_QUICK: "1", TS_NODE_TRANSPILE_ONLY: "1" };
const node = (script: string) => ["--require", "ts-node/register/transpile-only", script];

function idecFlags(run: string): string[] {
  // tolerance 0: never converged, so both runs make the same 6 updates (2 passes of 15 steps).
  return [
    ...["--parent", "parent", "--run", run, "--train.runsDir", runsDir],
    ...["--dec.updateInterval", "5", "--dec.maxEpochs", "2", "--dec.batchSize", "100"],
    ...["--dec.tolerance", "0"],
  ];
}

function read(run: string, file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(runsDir, run, file), "utf8"));
}

/** The history without its timings (which differ between runs). */
function losses(run: string): unknown[] {
  return (read(run, "history.json") as Array<Record<string, number>>).map((r) => [
    r.epoch,
    r.step,
    r.trainLoss,
    r.clusteringLoss,
    r.reconstructionLoss,
    r.valBce,
    r.changed,
    r.fullClusteringLoss,
  ]);
}

test(
  "IDEC: SIGKILL between updates, then --resume: same history, centroids and scores as without the kill",
  { timeout: 300_000 },
  async () => {
    const parent = spawnSync(
      process.execPath,
      [
        ...node(TRAIN),
        ...["--run", "parent", "--train.runsDir", runsDir, "--epochs", "1"],
        ...["--data.trainLimit", "1500", "--hidden", "32"],
      ],
      { cwd: PROJECT_ROOT, env, encoding: "utf8" },
    );
    assert.equal(parent.status, 0, parent.stderr);

    const reference = spawnSync(process.execPath, [...node(IDEC), ...idecFlags("uninterrupted")], {
      cwd: PROJECT_ROOT,
      env,
      encoding: "utf8",
    });
    assert.equal(reference.status, 0, reference.stderr);
    assert.equal(losses("uninterrupted").length, 6);

    const child = spawn(process.execPath, [...node(IDEC), ...idecFlags("killed")], {
      cwd: PROJECT_ROOT,
      env,
    });
    let stdout = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/update 2 step/.test(stdout) && !child.killed) {
          setTimeout(() => child.kill("SIGKILL"), 50);
        }
      });
      child.on("exit", (code, signal) =>
        signal === "SIGKILL" ? resolve() : reject(new Error(`child ended with ${code}: ${stdout}`)),
      );
    });
    const killed = read("killed", "run.json") as { status: string; epochsDone: number };
    assert.equal(killed.status, "running", "a killed run cannot record its end");
    assert.ok(killed.epochsDone >= 2 && killed.epochsDone < 6, `${killed.epochsDone} updates`);

    const resumed = spawnSync(
      process.execPath,
      [...node(IDEC), "--resume", ...idecFlags("killed")],
      { cwd: PROJECT_ROOT, env, encoding: "utf8" },
    );
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, /resumed at step \d+/);
    assert.deepEqual(losses("killed"), losses("uninterrupted"));
    assert.deepEqual(read("killed", "clustering.json"), read("uninterrupted", "clustering.json"));
    const metrics = (run: string) => {
      const m = read(run, "metrics.json") as { clustering: unknown; test: unknown };
      return [m.clustering, m.test];
    };
    assert.deepEqual(metrics("killed"), metrics("uninterrupted"));
    const record = read("killed", "run.json") as { status: string; derivedFrom: string };
    assert.equal(record.status, "completed");
    assert.equal(record.derivedFrom, "parent");
    for (const part of ["encoder", "decoder"]) {
      assert.ok(fs.existsSync(path.join(runsDir, "killed", "model", part, "weights.bin")));
    }
  },
);
