/**
 * Notebooks are committed in a clean form: valid nbformat 4.5 JSON with cell ids, no outputs or
 * execution counts, the tslab kernelspec, and a first code cell tagged "parameters". Checks every
 * notebook in notebooks/, and checks the checker itself on generated good and bad notebooks.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  listNotebooks,
  notebookFormatProblems,
  TSLAB_LANGUAGE_INFO,
} from "../../lib/notebook/runner";

describe("committed notebooks are clean", () => {
  const notebooks = listNotebooks();
  if (notebooks.length === 0) {
    it("no notebooks in notebooks/ yet: nothing to check", (t) => {
      t.skip("notebooks/ holds no .ipynb file");
    });
  }
  for (const nb of notebooks) {
    it(path.basename(nb), () => {
      const problems = notebookFormatProblems(fs.readFileSync(nb, "utf8"));
      assert.deepEqual(
        problems,
        [],
        `${path.basename(nb)}:\n  ${problems.join("\n  ")}\n` +
          "(clear outputs: .venv/bin/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb)",
      );
    });
  }
});

type Cell = Record<string, unknown>;
let nextId = 0;
function code(source: string, extra: Cell = {}): Cell {
  return {
    cell_type: "code",
    id: `c${nextId++}`,
    metadata: {},
    execution_count: null,
    outputs: [],
    source,
    ...extra,
  };
}
function notebook(cells: Cell[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      language_info: TSLAB_LANGUAGE_INFO,
    },
    cells,
    ...extra,
  });
}
const params = (): Cell => code("const seed = 1;", { metadata: { tags: ["parameters"] } });
const markdown: Cell = {
  cell_type: "markdown",
  id: "md",
  metadata: {},
  source: ["# Title\n", "text"],
};

describe("notebookFormatProblems", () => {
  it("accepts a clean notebook whose first code cell is the parameters cell", () => {
    assert.deepEqual(notebookFormatProblems(notebook([markdown, params(), code("seed + 1")])), []);
  });

  it("rejects metadata the kernel would change on opening (language_info missing or partial)", () => {
    const partial = { name: "typescript", mimetype: "text/typescript", file_extension: ".ts" };
    for (const language_info of [undefined, partial]) {
      const nb = JSON.parse(notebook([params()])) as { metadata: Record<string, unknown> };
      nb.metadata.language_info = language_info;
      const problems = notebookFormatProblems(JSON.stringify(nb));
      assert.equal(problems.length, 1, problems.join("; "));
      assert.match(problems[0], /language_info .*opens modified/);
    }
  });

  it("rejects invalid JSON and non-objects", () => {
    assert.match(notebookFormatProblems("{not json")[0], /not valid JSON/);
    assert.deepEqual(notebookFormatProblems("[]"), ["not a JSON object"]);
  });

  it("rejects outputs and execution counts, naming the cell", () => {
    const dirty = code("1", {
      execution_count: 3,
      outputs: [{ output_type: "stream", name: "stdout", text: "1" }],
    });
    const problems = notebookFormatProblems(notebook([params(), dirty]));
    assert.ok(
      problems.some((p) => /cell index 1: has outputs/.test(p)),
      problems.join("; "),
    );
    assert.ok(
      problems.some((p) => /cell index 1: execution_count is 3/.test(p)),
      problems.join("; "),
    );
  });

  it("requires the tslab kernelspec and nbformat 4.5", () => {
    const problems = notebookFormatProblems(
      notebook([params()], {
        nbformat_minor: 4,
        metadata: { kernelspec: { name: "python3" } },
      }),
    );
    assert.ok(problems.some((p) => /kernelspec name is "python3"/.test(p)));
    assert.ok(problems.some((p) => /nbformat_minor is 4/.test(p)));
    assert.ok(
      notebookFormatProblems(notebook([params()], { nbformat: 3 })).some((p) =>
        /nbformat is 3/.test(p),
      ),
    );
  });

  it("requires unique, valid cell ids", () => {
    const a = params();
    const b = code("2", { id: a.id });
    const noId = code("3", { id: undefined });
    const problems = notebookFormatProblems(notebook([a, b, noId]));
    assert.ok(problems.some((p) => /cell index 1: duplicate cell id/.test(p)));
    assert.ok(problems.some((p) => /cell index 2: missing or invalid cell id/.test(p)));
  });

  it("requires the first code cell, not a later one, to be tagged parameters", () => {
    const late = notebookFormatProblems(notebook([markdown, code("1"), params()]));
    assert.deepEqual(late, ['cell index 1: the first code cell must be tagged "parameters"']);
    assert.deepEqual(notebookFormatProblems(notebook([markdown])), [
      "no code cell (expected a parameters cell)",
    ]);
  });

  it("rejects malformed cells", () => {
    const problems = notebookFormatProblems(
      notebook([params(), { cell_type: "widget", id: "w", source: 5 }]),
    );
    assert.ok(problems.some((p) => /unknown cell_type "widget"/.test(p)));
    assert.ok(problems.some((p) => /source is not a string/.test(p)));
    assert.ok(problems.some((p) => /metadata missing/.test(p)));
  });
});
