// Cluster figures: columns ordered by matched class, so a permuted perfect clustering is a diagonal.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  clusterConfusionFigure,
  clustersByMatchedClass,
  prototypeRowsFigure,
} from "../../lib/plots/clusters";

test("cluster confusion figure: a relabelled perfect clustering is a diagonal with accuracy 1", () => {
  const labels = [0, 0, 1, 1, 2, 2];
  const assignments = [2, 2, 0, 0, 1, 1]; // cluster 2 = class 0, cluster 0 = class 1, 1 = class 2
  const { figure, accuracy } = clusterConfusionFigure(labels, assignments, {
    classNames: ["a", "b", "c"],
  });
  assert.equal(accuracy, 1);
  const trace = figure.data[0] as unknown as { z: number[][]; x: string[] };
  assert.deepEqual(trace.x, ["2 → a", "0 → b", "1 → c"]);
  trace.z.forEach((row, r) => row.forEach((v, c) => assert.equal(v, r === c ? 1 : 0)));
  assert.match(String(figure.layout.title && JSON.stringify(figure.layout.title)), /100\.0%/);
});

test("clusters by matched class, and prototype rows lined up by class", () => {
  assert.deepEqual(
    clustersByMatchedClass(
      new Map([
        [0, 2],
        [1, 0],
        [2, 1],
      ]),
      3,
    ),
    [1, 2, 0],
  );
  assert.deepEqual(clustersByMatchedClass(new Map([[1, 0]]), 3), [1, 0, 2]);
  const shape = { height: 1, width: 2, channels: 1 };
  // Two clusters: cluster 0 holds class 1 and cluster 1 class 0; images are 2 pixels each.
  const figure = prototypeRowsFigure(
    [{ label: "x", images: Float32Array.of(1, 1, 0, 0), labels: [0, 1], assignments: [1, 0] }],
    shape,
    { classNames: ["zero", "one"] },
  );
  assert.ok(figure.data.length >= 1);
  assert.match(JSON.stringify(figure.layout), /zero/);
});
