/**
 * Stopping training from notebook 02 with a kernel interrupt, through a real tslab kernel
 * (interrupt_training.py drives it with jupyter_client, as JupyterLab's ■ button does): the
 * kernel survives, the cell ends normally with one calm line (no error, nothing on stderr, so Run
 * All goes on), the run stops after its batch and is recorded as interrupted with its lock
 * released, `outcome` is set so the later cells run, and resuming from the notebook completes it.
 * Running the training cell again with the same runName is refused at once, in the notebook's
 * terms (`resume = true`, configOverrides' `"train.runName"`), without a stack trace or an
 * absolute path.
 */
import { after, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { projectPath } from "../../lib/paths";
import { quickConfig } from "../../lib/config";

const runName = `interrupt-test-${process.pid}`;
const folder = projectPath(quickConfig().train.runsDir, runName);
after(() => fs.rmSync(folder, { recursive: true, force: true }));

test("a kernel interrupt stops notebook 02's training cleanly; the run resumes", () => {
  const child = spawnSync(
    projectPath(".venv", "bin", "python"),
    [projectPath("test", "notebooks", "interrupt_training.py"), runName],
    { encoding: "utf8", timeout: 600_000, env: { ...process.env, AE_QUICK: "1" } },
  );
  assert.equal(child.status, 0, `driver failed:\n${child.stderr}`);
  const r = JSON.parse(child.stdout.trim().split("\n").pop() as string) as {
    steps: Record<string, string>;
    train_reply: string;
    train_text: string;
    train_stderr: string;
    rerun: { reply: string; stderr: string; text: string; html: string };
    interrupt_sent: boolean;
    after_interrupt: {
      stop: string;
      epochs: number;
      metrics: boolean;
      status: string;
      lock: boolean;
    } | null;
    epochs_3s_later: number;
    failures?: Record<string, string>;
    after_resume: { stop: string; epochs: number; metrics: boolean };
  };
  assert.ok(r.interrupt_sent, "the live output never showed epoch 2");
  // The cell ends normally (Run All goes on) with one calm line and nothing on stderr.
  assert.equal(r.train_reply, "ok", r.train_text);
  assert.equal(r.train_stderr, "");
  assert.doesNotMatch(r.train_text, /Interrupted asynchronously|Error/);
  assert.match(
    r.train_text,
    new RegExp(
      `Stopped after epoch \\d+ of 200: run "${runName}" is kept \\(runs/quick/${runName};.*` +
        "set `resume = true` and `\"train.runName\": \"" + runName + "\"` in configOverrides",
    ),
  );
  assert.ok(!r.train_text.includes(projectPath()), "no absolute path");
  assert.ok(r.after_interrupt, "outcome was never set after the interrupt");
  assert.equal(r.after_interrupt.stop, "interrupted");
  assert.equal(r.after_interrupt.status, "interrupted");
  assert.equal(r.after_interrupt.lock, false, "the run's lock was not released");
  assert.equal(r.after_interrupt.metrics, true, "an interrupted run has no test metrics");
  assert.ok(r.after_interrupt.epochs >= 1 && r.after_interrupt.epochs < 200);
  assert.equal(r.epochs_3s_later, r.after_interrupt.epochs, "training kept going");
  assert.equal(r.failures, undefined, JSON.stringify(r.failures));
  for (const [cell, status] of Object.entries(r.steps)) assert.equal(status, "ok", cell);
  assert.equal(r.rerun.reply, "error");
  assert.match(
    r.rerun.stderr,
    new RegExp(
      `RunError: Run "${runName}" already exists \\(runs/quick/${runName}\\)\\. To continue it, set ` +
        "`resume = true`.*to start a new run, set `\"train.runName\"` in configOverrides to another name",
    ),
  );
  assert.doesNotMatch(r.rerun.stderr, /\n\s+at |--resume|--run/, "no stack, no command-line advice");
  assert.ok(!r.rerun.stderr.includes(projectPath()), "no absolute path");
  assert.equal(r.rerun.html, "", "refused before loading data or drawing progress");
  assert.deepEqual(r.after_resume, {
    stop: "completed",
    epochs: r.after_interrupt.epochs + 1,
    metrics: true,
  });
});
