// readCompleteFolder never returns a mix of two versions of a folder swapped by replaceFolder.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readCompleteFolder, replaceFolder } from "../../lib/runs/atomic";

function version(target: string, v: string): void {
  replaceFolder(target, (tmp) => {
    fs.writeFileSync(path.join(tmp, "a.txt"), v);
    fs.writeFileSync(path.join(tmp, "b.txt"), v);
  });
}

test("a swap between two reads of one version starts the read again", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-read-complete-"));
  const target = path.join(dir, "checkpoint");
  version(target, "v1");
  let calls = 0;
  const discarded: string[] = [];
  const result = await readCompleteFolder(
    target,
    async (folder) => {
      calls++;
      const a = fs.readFileSync(path.join(folder, "a.txt"), "utf8");
      if (calls === 1) version(target, "v2"); // a writer replaces the folder mid-read
      const b = fs.readFileSync(path.join(folder, "b.txt"), "utf8");
      return `${a}+${b}`;
    },
    (stale) => discarded.push(stale),
  );
  assert.equal(calls, 2);
  assert.equal(result, "v2+v2");
  assert.deepEqual(discarded, ["v1+v2"]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("no complete version: null; a folder that never settles: a clear error", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-read-complete-"));
  const target = path.join(dir, "model");
  assert.equal(await readCompleteFolder(target, async () => 1), null);
  version(target, "v1");
  let n = 0;
  await assert.rejects(
    readCompleteFolder(target, async () => version(target, `v${++n}`), undefined, 3),
    /kept changing while it was read \(3 attempts\)/,
  );
  fs.rmSync(dir, { recursive: true, force: true });
});
