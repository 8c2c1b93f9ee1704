/**
 * The pre-commit hook (scripts/git-hooks/pre-commit) in a real git repository: a notebook with
 * outputs (as JupyterLab's autosave leaves it) cannot be committed unnoticed; the same notebook
 * after `npm run clean-notebooks`'s cleaning commits, and equals the committed form.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectPath } from "../../lib/paths";
import { cleanNotebook } from "../../scripts/check-notebooks";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-hook-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function git(...args: string[]) {
  return spawnSync("git", args, { cwd: tmp, encoding: "utf8" });
}

describe("the notebooks pre-commit hook", () => {
  it("refuses a staged notebook with outputs, naming it; the cleaned notebook commits", async () => {
    git("init", "-q");
    git("config", "user.email", "test@example.invalid");
    git("config", "user.name", "hook test");
    git("config", "core.hooksPath", projectPath("scripts", "git-hooks"));
    const committed = fs.readFileSync(
      projectPath("notebooks", "01-data-exploration.ipynb"),
      "utf8",
    );
    assert.equal(
      await cleanNotebook(committed),
      committed,
      "the committed notebook is in clean form",
    );

    // What JupyterLab saves after running a cell: an output, an execution count.
    const nb = JSON.parse(committed) as { cells: Record<string, unknown>[] };
    const cell = nb.cells.find((c) => c.cell_type === "code") as Record<string, unknown>;
    cell.execution_count = 1;
    cell.outputs = [{ output_type: "stream", name: "stdout", text: ["hello\n"] }];
    fs.mkdirSync(path.join(tmp, "notebooks"));
    const file = path.join(tmp, "notebooks", "01.ipynb");
    fs.writeFileSync(file, JSON.stringify(nb, null, 1));
    git("add", ".");
    const refused = git("commit", "-q", "-m", "dirty");
    assert.notEqual(refused.status, 0, "the commit went through");
    assert.match(refused.stderr, /notebooks\/01\.ipynb:\n {2}cell index \d+: has outputs/);
    assert.match(refused.stderr, /npm run clean-notebooks/);
    assert.notEqual(git("rev-parse", "HEAD").status, 0, "no commit exists");

    fs.writeFileSync(file, await cleanNotebook(fs.readFileSync(file, "utf8")));
    assert.equal(fs.readFileSync(file, "utf8"), committed);
    git("add", ".");
    const accepted = git("commit", "-q", "-m", "clean");
    assert.equal(accepted.status, 0, accepted.stderr);
  });
});
