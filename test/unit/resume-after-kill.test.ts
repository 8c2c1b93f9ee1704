// Really kill a training process (SIGKILL, mid-epoch), resume it, and check that the run is
// loadable and its losses equal an uninterrupted run with the same seed on the same backend.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../lib/paths";

const TRAIN = path.join(PROJECT_ROOT, "scripts/train.ts");
let runsDir: string;
before(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-kill-"));
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

function flags(run: string): string[] {
  return [
    "--run",
    run,
    "--train.runsDir",
    runsDir,
    "--epochs",
    "4",
    "--backend",
    "wasm",
    "--data.trainLimit",
    "1500",
    "--hidden",
    "32",
  ];
}

const nodeArgs = ["--require", "ts-node/register/transpile-only", TRAIN];
const env = { ...process.env, AE_QUICK: "1", TS_NODE_TRANSPILE_ONLY: "1" };

function history(run: string): Array<[number, number, number]> {
  const h = JSON.parse(fs.readFileSync(path.join(runsDir, run, "history.json"), "utf8")) as Array<{
    epoch: number;
    trainLoss: number;
    valLoss: number;
  }>;
  return h.map((r) => [r.epoch, r.trainLoss, r.valLoss]);
}

test(
  "SIGKILL mid-epoch, then --resume: same losses as an uninterrupted run, and a loadable model",
  { timeout: 300_000 },
  async () => {
    const reference = spawnSync(process.execPath, [...nodeArgs, ...flags("reference")], {
      cwd: PROJECT_ROOT,
      env,
      encoding: "utf8",
    });
    assert.equal(reference.status, 0, reference.stderr);

    // Kill the second run once it has finished epoch 2 and is a few batches into epoch 3.
    const child = spawn(process.execPath, [...nodeArgs, ...flags("killed")], {
      cwd: PROJECT_ROOT,
      env,
    });
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/epoch 2\/4 /.test(stderr) && !child.killed) {
          setTimeout(() => child.kill("SIGKILL"), 150);
        }
      });
      child.on("exit", (code, signal) =>
        signal === "SIGKILL" ? resolve() : reject(new Error(`child ended with ${code}: ${stderr}`)),
      );
    });
    const killedRecord = JSON.parse(
      fs.readFileSync(path.join(runsDir, "killed", "run.json"), "utf8"),
    );
    assert.equal(killedRecord.status, "running", "a killed run cannot record its end");
    assert.ok(
      killedRecord.epochsDone >= 2 && killedRecord.epochsDone < 4,
      `checkpointed ${killedRecord.epochsDone} epochs`,
    );

    const resumed = spawnSync(process.execPath, [...nodeArgs, "--resume", ...flags("killed")], {
      cwd: PROJECT_ROOT,
      env,
      encoding: "utf8",
    });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`epochs ${killedRecord.epochsDone + 1}\\.\\.4`));
    assert.deepEqual(history("killed"), history("reference"));
    const record = JSON.parse(fs.readFileSync(path.join(runsDir, "killed", "run.json"), "utf8"));
    assert.equal(record.status, "completed");
    for (const part of ["encoder", "decoder"]) {
      assert.ok(fs.existsSync(path.join(runsDir, "killed", "model", part, "weights.bin")));
    }
  },
);
