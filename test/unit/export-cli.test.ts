// `npm run notebook -- export` (alias `npm run export`) as a user meets it before any kernel
// starts: --help explains it and exits 0; an unknown option exits 1 naming it and the known ones.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { runScript } from "../helpers/probe-notebook";

test("npm run notebook -- export --help explains the command; an unknown option is named", async () => {
  const help = await runScript("notebook", ["export", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(
    help.stdout,
    /^Usage: npm run notebook -- <NN \| name\.ipynb> \[--param value \.\.\.\]/m,
  );
  assert.match(help.stdout, /^ +npm run notebook -- export \[notebook \.\.\.\] \[--out DIR\]/m);
  assert.match(help.stdout, /--out DIR +where to write/);
  assert.match(help.stdout, /a line is printed when each starts and ends, and every \d+ s/);
  assert.doesNotMatch(help.stdout, /executing/, "nothing was executed");
  const bad = await runScript("notebook", ["export", "--verbose"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /error: unknown option --verbose \(known: --out DIR, --help\)/);
});
