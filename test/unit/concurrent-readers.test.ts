// Readers polling a run while another process trains into it never see a half-written file:
// every load of the record, config, history and checkpoint model succeeds and is consistent.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useTestBackend } from "../helpers/backend";
import { PROJECT_ROOT } from "../../lib/paths";
import { hasCheckpoint, loadCheckpoint, loadRun, loadRunModel } from "../../lib/runs/run-folder";
import * as tf from "@tensorflow/tfjs";

const TRAIN = path.join(PROJECT_ROOT, "scripts/train.ts");
let runsDir: string;
before(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-readers-"));
  await useTestBackend();
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

test(
  "loadRun, loadRunModel and loadCheckpoint during training: every read is complete",
  { timeout: 300_000 },
  async () => {
    // Small epochs, many of them: a checkpoint swap every few hundred milliseconds.
    const flags = [
      ...["--run", "busy", "--train.runsDir", runsDir, "--epochs", "12", "--backend", "wasm"],
      ...["--data.trainLimit", "600", "--hidden", "32", "--train.batchSize", "32"],
    ];
    const child = spawn(
      process.execPath,
      ["--require", "ts-node/register/transpile-only", TRAIN, ...flags],
      { cwd: PROJECT_ROOT, env: { ...process.env, AE_QUICK: "1" } },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let running = true;
    void exited.then(() => (running = false));

    const folder = path.join(runsDir, "busy");
    let reads = 0;
    let modelReads = 0;
    let lastEpochs = 0;
    while (running) {
      if (fs.existsSync(path.join(folder, "run.json"))) {
        const run = loadRun(folder);
        reads++;
        assert.ok(run.history.length >= lastEpochs, "history never goes backwards");
        lastEpochs = run.history.length;
        if (hasCheckpoint(folder)) {
          const model = await loadRunModel(run, "checkpoint");
          const optimizer = tf.train.adam(0.001);
          const checkpoint = await loadCheckpoint(run, optimizer);
          assert.ok(checkpoint.history.length >= 1);
          model.dispose();
          checkpoint.model.dispose();
          optimizer.dispose();
          modelReads++;
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(await exited, 0, stderr);
    assert.equal(loadRun(folder).record.status, "completed");
    assert.ok(modelReads >= 5, `only ${modelReads} checkpoint reads happened during training`);
    console.log(`# ${reads} run reads, ${modelReads} checkpoint reads while training`);
  },
);
