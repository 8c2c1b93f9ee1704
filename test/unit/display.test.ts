import { test } from "node:test";
import assert from "node:assert/strict";
import {
  NotInNotebookError,
  PLOTLY_MIME,
  plotlyPayload,
  showFigure,
  showTable,
  tableHtml,
  toJsonValue,
  type DisplaySink,
} from "../../lib/notebook/display";
import type { Figure } from "../../lib/plots";

function recorder() {
  const calls: { kind: string; mime?: string; data: unknown }[] = [];
  const sink: DisplaySink = {
    raw: (mime, data) => calls.push({ kind: "raw", mime, data }),
    html: (s) => calls.push({ kind: "html", data: s }),
  };
  return { sink, calls };
}

test("toJsonValue turns typed arrays into plain arrays and NaN into null", () => {
  const value = toJsonValue({
    a: Float32Array.from([0.5, NaN]),
    b: [Uint8Array.from([1, 2])],
    c: undefined,
    d: Infinity,
  });
  assert.deepEqual(value, { a: [0.5, null], b: [[1, 2]], d: null });
  assert.equal(JSON.stringify(value), '{"a":[0.5,null],"b":[[1,2]],"d":null}');
});

test("showFigure sends the plotly MIME type with plain-JSON data", () => {
  const fig: Figure = {
    data: [{ type: "bar", x: ["a"], y: Float64Array.from([3]) }],
    layout: { title: "t" },
  };
  const { sink, calls } = recorder();
  showFigure(fig, sink);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].mime, PLOTLY_MIME);
  assert.deepEqual(calls[0].data, {
    data: [{ type: "bar", x: ["a"], y: [3] }],
    layout: { title: "t" },
  });
  assert.ok(Array.isArray((plotlyPayload(fig).data[0] as { y: unknown }).y));
  // The caller's figure is not modified.
  assert.ok(fig.data[0].y instanceof Float64Array);
});

test("showFigure outside a kernel throws NotInNotebookError", () => {
  assert.throws(() => showFigure({ data: [], layout: {} }), NotInNotebookError);
});

test("tableHtml from row objects: header, right-aligned numbers, escaping, rounding", () => {
  const html = tableHtml([
    { split: "train", mean: 0.130661234, count: 50000 },
    { split: "<b>", mean: NaN, count: 1 },
  ]);
  assert.match(
    html,
    /<th style="text-align:left">split<\/th><th style="text-align:right">mean<\/th>/,
  );
  assert.match(html, /<td style="text-align:right">0.1307<\/td>/);
  assert.match(html, /50,000/);
  assert.match(html, /&#60;b&#62;/);
  assert.match(html, />NaN</);
  assert.equal((html.match(/<tr>/g) ?? []).length, 3);
});

test("showTable accepts a DataFrame-like object and sends HTML", () => {
  const df = {
    columns: ["x", "y"],
    values: [
      [1, "a"],
      [2, "b"],
    ],
    index: ["r0", "r1"],
  };
  const { sink, calls } = recorder();
  showTable(df, { showIndex: true, caption: "cap" }, sink);
  assert.equal(calls[0].kind, "html");
  const html = calls[0].data as string;
  assert.match(html, /<caption>cap<\/caption>/);
  assert.match(
    html,
    /<th>r1<\/th><td style="text-align:right">2<\/td><td style="text-align:left">b<\/td>/,
  );
});

test("tableHtml renders a real danfojs DataFrame", async () => {
  const dfd = await import("danfojs-node");
  const df = new dfd.DataFrame([
    { split: "train", count: 50000 },
    { split: "test", count: 10000 },
  ]);
  const html = tableHtml(df as never);
  assert.match(html, />split<\/th>/);
  assert.match(
    html,
    /<td style="text-align:left">test<\/td><td style="text-align:right">10,000<\/td>/,
  );
});
