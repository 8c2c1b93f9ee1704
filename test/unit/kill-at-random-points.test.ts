// SIGKILL a training process at seeded random moments (start-up, mid-epoch, during a checkpoint
// write, during evaluation), resume after every kill, and check that the run always loads and
// ends bit-identical to an uninterrupted run with the same seed on the same backend.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../lib/paths";
import { createRng } from "../../lib/random";
import { loadRun } from "../../lib/runs/run-folder";

const TRAIN = path.join(PROJECT_ROOT, "scripts/train.ts");
const EPOCHS = 4;
let runsDir: string;
before(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-random-kill-"));
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

function flags(run: string): string[] {
  return [
    ...["--run", run, "--train.runsDir", runsDir, "--epochs", String(EPOCHS)],
    ...["--backend", "wasm", "--data.trainLimit", "1500", "--hidden", "32"],
  ];
}
const nodeArgs = ["--require", "ts-node/register/transpile-only", TRAIN];
const env = { ...process.env, AE_QUICK: "1", TS_NODE_TRANSPILE_ONLY: "1" };

/** Start the trainer (resuming when the run has a record) and SIGKILL it after `ms`. */
function runAndKill(run: string, ms: number): Promise<"killed" | "finished"> {
  const resume = fs.existsSync(path.join(runsDir, run, "run.json"));
  const child = spawn(
    process.execPath,
    [...nodeArgs, ...(resume ? ["--resume"] : []), ...flags(run)],
    {
      cwd: PROJECT_ROOT,
      env,
    },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  return new Promise((resolve, reject) => {
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") resolve("killed");
      else if (code === 0) resolve("finished");
      else reject(new Error(`trainer exited ${code} after ${ms} ms kill timer:\n${stderr}`));
    });
  });
}

const files = (run: string, rel: string) => fs.readFileSync(path.join(runsDir, run, rel));

test(
  "SIGKILL at 6 seeded random moments, resuming after each: loadable run, bit-identical end",
  { timeout: 600_000 },
  async () => {
    const t0 = Date.now();
    const reference = spawnSync(process.execPath, [...nodeArgs, ...flags("uninterrupted")], {
      cwd: PROJECT_ROOT,
      env,
      encoding: "utf8",
    });
    assert.equal(reference.status, 0, reference.stderr);
    const fullMs = Date.now() - t0;

    // Kill moments spread over a whole run's duration: each restart pays start-up again, so
    // early kills land in start-up or the first epochs, late ones in checkpoints and evaluation.
    const rng = createRng(20261129);
    const kills: string[] = [];
    let outcome: "killed" | "finished" = "killed";
    for (let i = 0; i < 6 && outcome === "killed"; i++) {
      const ms = Math.round(200 + rng.next() * 0.7 * fullMs);
      outcome = await runAndKill("interrupted", ms);
      const record = path.join(runsDir, "interrupted", "run.json");
      const epochs = fs.existsSync(record)
        ? JSON.parse(fs.readFileSync(record, "utf8")).epochsDone
        : "-";
      kills.push(`${ms} ms (${outcome}, epochs done ${epochs})`);
      if (outcome === "killed" && fs.existsSync(path.join(runsDir, "interrupted", "run.json"))) {
        // Whatever the moment, what is on disk is a readable run (record, config, history).
        const run = loadRun("interrupted", runsDir);
        assert.equal(run.record.status, "running");
        assert.ok(run.history.length <= EPOCHS);
      }
    }
    if (outcome === "killed") assert.equal(await runAndKill("interrupted", 600_000), "finished");

    const done = loadRun("interrupted", runsDir);
    assert.equal(done.record.status, "completed", `kills at ${kills.join(", ")}`);
    assert.deepEqual(
      done.history.map((r) => [r.epoch, r.trainLoss, r.valLoss]),
      loadRun("uninterrupted", runsDir).history.map((r) => [r.epoch, r.trainLoss, r.valLoss]),
    );
    for (const part of ["encoder", "decoder"]) {
      const rel = path.join("model", part, "weights.bin");
      assert.ok(files("interrupted", rel).equals(files("uninterrupted", rel)), `${rel} differs`);
    }
    assert.deepEqual(
      JSON.parse(files("interrupted", "metrics.json").toString()),
      JSON.parse(files("uninterrupted", "metrics.json").toString()),
    );
    console.log(`# uninterrupted run ${fullMs} ms; kills at ${kills.join(", ")}`);
  },
);
