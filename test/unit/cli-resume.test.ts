// Resuming from the terminal exactly as a user types it (`npm run train -- --resume --run <name>`,
// no --epochs, AE_QUICK=1 as notebook 02's quick runs): the run finishes as it was configured, and
// ends equal to an uninterrupted run of the same config. Extending needs --epochs on purpose,
// and the saved config then says so; a finished run resumed without it trains nothing.
import { after, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { quickConfig } from "../../lib/config";
import { PROJECT_ROOT, projectPath } from "../../lib/paths";

const env = { ...process.env, AE_QUICK: "1", TS_NODE_TRANSPILE_ONLY: "1" };
const runsDir = quickConfig().train.runsDir;
/** Fewer than the preset's epochs: resuming must not fall back to the preset's count. */
const epochs = quickConfig().train.epochs - 1;
const stopped = `resume-test-${process.pid}-stopped`;
const straight = `resume-test-${process.pid}-straight`;
after(() => {
  for (const name of [stopped, straight]) {
    fs.rmSync(projectPath(runsDir, name), { recursive: true, force: true });
  }
});

const readJson = (name: string, file: string) =>
  JSON.parse(fs.readFileSync(projectPath(runsDir, name, file), "utf8"));

function npmTrain(args: string[]) {
  return spawnSync("npm", ["run", "--silent", "train", "--", ...args], {
    cwd: PROJECT_ROOT,
    env,
    encoding: "utf8",
    timeout: 300_000,
  });
}

/** The losses of each epoch (timings left out). */
const losses = (history: Record<string, number>[]) =>
  history.map((e) => [e.epoch, e.trainLoss, e.valLoss, e.valBce, e.valMse]);

test(
  "an interrupted quick run resumed without --epochs finishes as configured and equals an uninterrupted run",
  { timeout: 600_000 },
  async () => {
    assert.ok(epochs >= 2, "the quick preset trains a few epochs");
    // Interrupted after epoch 1 (Ctrl-C in the terminal; the same stop as ■ in notebook 02).
    const child = spawn(
      process.execPath,
      [
        "--require",
        "ts-node/register/transpile-only",
        "scripts/train.ts",
        "--run",
        stopped,
        "--epochs",
        String(epochs),
      ],
      { cwd: PROJECT_ROOT, env },
    );
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      if (!sent && new RegExp(`epoch 1/${epochs} `).test(stderr)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(code, 130, stderr);
    const done = readJson(stopped, "run.json").epochsDone as number;
    assert.ok(done >= 1 && done < epochs, `stopped after ${done} epochs`);

    const resumed = npmTrain(["--resume", "--run", stopped]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(
      resumed.stderr + resumed.stdout,
      new RegExp(`epochs ${done + 1}\\.\\.${epochs}\\b`),
    );
    assert.equal(readJson(stopped, "run.json").status, "completed");
    assert.equal(readJson(stopped, "config.json").train.epochs, epochs, "config unchanged");

    const uninterrupted = npmTrain(["--run", straight, "--epochs", String(epochs)]);
    assert.equal(uninterrupted.status, 0, uninterrupted.stderr);
    assert.deepEqual(
      losses(readJson(stopped, "history.json")),
      losses(readJson(straight, "history.json")),
    );
    assert.deepEqual(
      readJson(stopped, "metrics.json").test,
      readJson(straight, "metrics.json").test,
    );
    const trainConfig = (name: string) => ({
      ...readJson(name, "config.json").train,
      runName: null,
    });
    assert.deepEqual(trainConfig(stopped), trainConfig(straight));

    // A finished run resumed again trains nothing (it does not restart toward the preset's
    // epochs) and says how to extend it, in the terminal's words.
    const savedFiles = ["metrics.json", "model/encoder/weights.bin", "model/decoder/weights.bin"];
    const stamp = () =>
      savedFiles.map((f) => fs.statSync(projectPath(runsDir, stopped, f)).mtimeMs);
    const before = stamp();
    const metricsBefore = readJson(stopped, "metrics.json");
    const again = npmTrain(["--resume", "--run", stopped]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(
      again.stderr,
      new RegExp(
        `run ${stopped}: all ${epochs} epochs already trained, nothing to train \\(add --epochs N`,
      ),
    );
    assert.equal(readJson(stopped, "history.json").length, epochs);
    assert.equal(readJson(stopped, "config.json").train.epochs, epochs);
    assert.ok(!again.stderr.includes(PROJECT_ROOT), again.stderr);
    // Its saved model and metrics are left as they were (not re-saved, not re-evaluated).
    assert.deepEqual(stamp(), before);
    assert.deepEqual(readJson(stopped, "metrics.json"), metricsBefore);

    // Extending is explicit, and the saved config says so.
    const extended = npmTrain(["--resume", "--run", stopped, "--epochs", String(epochs + 1)]);
    assert.equal(extended.status, 0, extended.stderr);
    assert.equal(readJson(stopped, "config.json").train.epochs, epochs + 1);
    assert.equal(readJson(stopped, "history.json").length, epochs + 1);
    assert.equal(readJson(stopped, "run.json").status, "completed");
  },
);

test("a new run under an existing name is refused before any data is loaded, with advice and no absolute path", () => {
  const existing = path.join(PROJECT_ROOT, runsDir, straight, "run.json");
  assert.ok(fs.existsSync(existing), "the first test made the run");
  const r = npmTrain(["--run", straight, "--epochs", String(epochs)]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `error: Run "${straight}" already exists \\(${runsDir}/${straight}\\)\\. To continue it, add --resume`,
    ),
  );
  assert.doesNotMatch(r.stderr, /loaded|epoch/i);
  assert.ok(!r.stderr.includes(PROJECT_ROOT), r.stderr);
});
