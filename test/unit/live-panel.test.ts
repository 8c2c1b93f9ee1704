// The live panel's pure parts (MNIST preprocessing, scores) and its payload and HTML; the page
// itself is tested in a real browser by test/notebooks/live-panel.test.ts.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig } from "../../lib/config";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import { encodeSet } from "../../lib/model/inference";
import { reconstructionScores } from "../../lib/apps/anomaly";
import { createRng } from "../../lib/random";
import {
  fromBase64,
  imageBce,
  imageScore,
  mnistPreprocess,
  placeAmongNeighbors,
} from "../../lib/live/page";
import {
  LIVE_PANEL_NOTE,
  LivePanelError,
  livePanelHtml,
  livePanelPayload,
  liveThreshold,
} from "../../lib/live/panel";
import type { LiveScoreName } from "../../lib/live/types";
import { exportNotebookHtml } from "../../lib/notebook/runner";
import { PROJECT_ROOT } from "../../lib/paths";
import { useTestBackend } from "../helpers/backend";
import { syntheticDataset } from "../helpers/synthetic";

before(useTestBackend);

function centreOfMass(img: Float32Array, side: number): [number, number] {
  let [m, x, y] = [0, 0, 0];
  for (let i = 0; i < img.length; i++) {
    m += img[i];
    x += img[i] * (i % side);
    y += img[i] * Math.floor(i / side);
  }
  return [x / m, y / m];
}

describe("mnistPreprocess", () => {
  it("fits the ink's box into 20×20 keeping the aspect ratio, centre of mass at the centre", () => {
    // A 60 × 30 bar (2:1) in the top-left corner of a 200 × 100 drawing.
    const [w, h] = [200, 100];
    const ink = new Float32Array(w * h);
    for (let y = 5; y < 35; y++) for (let x = 10; x < 70; x++) ink[y * w + x] = 1;
    const out = mnistPreprocess(ink, w, h);
    assert.equal(out.length, 784);
    const rows = new Set<number>();
    const cols = new Set<number>();
    out.forEach((v, i) => {
      assert.ok(v >= 0 && v <= 1);
      if (v > 0) {
        rows.add(Math.floor(i / 28));
        cols.add(i % 28);
      }
    });
    assert.equal(cols.size, 20);
    assert.equal(rows.size, 10);
    const total = out.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 200) < 1e-6, `mass ${total}`); // 20 × 10 full pixels
    const [cx, cy] = centreOfMass(out, 28);
    assert.ok(Math.abs(cx - 13.5) <= 0.5 && Math.abs(cy - 13.5) <= 0.5, `${cx}, ${cy}`);
  });

  it("shifts a lopsided shape by its centre of mass, not its box, and leaves no ink empty", () => {
    const side = 50;
    const ink = new Float32Array(side * side);
    for (let y = 0; y < 40; y++) ink[y * side + 5] = 1; // a thin stem
    for (let y = 30; y < 40; y++) for (let x = 5; x < 25; x++) ink[y * side + x] = 1; // heavy foot
    const [cx, cy] = centreOfMass(mnistPreprocess(ink, side, side), 28);
    assert.ok(Math.abs(cx - 13.5) <= 0.5 && Math.abs(cy - 13.5) <= 0.5, `${cx}, ${cy}`);
    assert.deepEqual(mnistPreprocess(new Float32Array(100), 10, 10), new Float32Array(784));
  });
});

describe("placeAmongNeighbors", () => {
  it("goes to the cluster holding most neighbours, not between clusters", () => {
    const near: [number, number][] = [
      [0, 0],
      [10, 10],
      [0.5, 0],
      [0, 0.5],
      [10.5, 10],
    ];
    assert.deepEqual(placeAmongNeighbors(near, 20), [0.5 / 3, 0.5 / 3]);
    assert.deepEqual(
      placeAmongNeighbors(
        [
          [1, 2],
          [3, 4],
        ],
        100,
      ),
      [2, 3],
    );
  });
});

describe("page scores", () => {
  it("equal lib/apps/anomaly reconstructionScores and lib/quality/metrics BCE", () => {
    const rng = createRng(3);
    const x = Float32Array.from({ length: 784 }, (_, i) =>
      i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : rng.next(),
    );
    const p = Float32Array.from({ length: 784 }, () => rng.next());
    p[5] = 0; // clipped by eps
    const lib = reconstructionScores(x, p, 784);
    for (const name of ["bce", "mse", "unionMse", "relative"] as LiveScoreName[]) {
      const page = imageScore(x, p, name, 0.1, 1e-7);
      assert.ok(
        Math.abs(page - lib[name][0]) <= 1e-6 * Math.max(1, page),
        `${name}: ${page} vs ${lib[name][0]}`,
      );
    }
    assert.equal(imageBce(x, p, 1e-7), imageScore(x, p, "bce", 0.1, 1e-7));
    assert.equal(imageScore(new Float32Array(4), new Float32Array(4), "unionMse", 0.1, 1e-7), 0);
  });

  it("liveThreshold is thresholdFromNegatives on the validation scores", () => {
    const scores = Float32Array.from({ length: 100 }, (_, i) => i / 100);
    const t = liveThreshold({ unionMse: scores }, "unionMse", 0.05);
    assert.equal(t.threshold, scores[95]);
    assert.match(t.source, /5% false positives on 100 validation digits/);
    assert.throws(() => liveThreshold({}, "bce"), LivePanelError);
  });
});

describe("livePanelPayload and livePanelHtml", () => {
  const shape = { height: 28, width: 28, channels: 1 };
  const data = syntheticDataset(shape, { train: 8, validation: 40, test: 30 });
  const model = buildAutoencoder(
    resolveConfig({ model: { codeSize: 6, hiddenSizes: [16] } }).model,
    shape,
    2,
  );

  it("carries the models, examples with their codes, the PCA and the threshold; HTML is script-safe", async () => {
    const tensors = tf.memory().numTensors;
    const payload = await livePanelPayload(model, data, {
      examples: 12,
      sliders: 3,
      title: "a </script><b>",
    });
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(payload.examples.count, 12);
    assert.deepEqual(
      payload.examples.indices,
      [...payload.examples.indices].sort((a, b) => a - b),
    );
    const codes = encodeSet(model, data.test, 784);
    const embedded = new Float32Array(fromBase64(payload.examples.codes).buffer);
    payload.examples.indices.forEach((row, i) =>
      assert.deepEqual(embedded.subarray(i * 6, i * 6 + 6), codes.subarray(row * 6, row * 6 + 6)),
    );
    const images = fromBase64(payload.examples.images);
    assert.equal(
      images[783] / 255,
      Math.round(data.test.images[payload.examples.indices[0] * 784 + 783] * 255) / 255,
    );
    assert.equal(payload.pca.count, 3);
    assert.equal(payload.map.kind, "pca");
    assert.equal(payload.anomaly.score, "unionMse");
    assert.ok(Number.isFinite(payload.anomaly.threshold));
    assert.equal(fromBase64(payload.decoder.weights).length, model.decoder.countParams() * 4);

    const html = livePanelHtml(payload);
    assert.equal(html.split("</script>").length - 1, 1, "only the data block's own end tag");
    assert.ok(html.includes(LIVE_PANEL_NOTE));
    const json = html.slice(
      html.indexOf(">", html.indexOf("ae-live-data")) + 1,
      html.lastIndexOf("</script>"),
    );
    assert.equal(JSON.parse(json).title, "a </script><b>");
  });

  it("takes the notebook's map points and refuses what it cannot show", async () => {
    const indices = [3, 7, 11, 20];
    const xy = Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]);
    const payload = await livePanelPayload(model, data, { map: { name: "t-SNE", xy, indices } });
    assert.equal(payload.map.kind, "points");
    assert.deepEqual(payload.examples.indices, indices);
    if (payload.map.kind === "points") {
      assert.deepEqual(new Float32Array(fromBase64(payload.map.examples).buffer), xy);
      assert.deepEqual(
        Array.from(fromBase64(payload.map.backgroundLabels)),
        indices.map((i) => data.test.labels[i]),
      );
    }
    await assert.rejects(
      livePanelPayload(model, data, { map: { name: "bad", xy: new Float32Array(3), indices } }),
      LivePanelError,
    );
    await assert.rejects(livePanelPayload(model, { ...data, validation: undefined }), /threshold/);
  });

  it("is exported with the tfjs bundles and the page code once per page, however many panels", async () => {
    const html = livePanelHtml(await livePanelPayload(model, data, { examples: 4 }));
    const cell = (id: string, outputs: string[]) => ({
      cell_type: "code",
      id,
      metadata: {},
      execution_count: 1,
      source: "await ae.showLivePanel(model, data);",
      outputs: outputs.map((h) => ({
        output_type: "display_data",
        data: { "text/html": h },
        metadata: {},
      })),
    });
    const notebook = (cells: object[]) => ({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      },
      cells,
    });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-live-export-"));
    try {
      const two = path.join(tmp, "two.ipynb");
      fs.writeFileSync(two, JSON.stringify(notebook([cell("a", [html]), cell("b", [html])])));
      const page = fs.readFileSync(await exportNotebookHtml(two), "utf8");
      const cpu = fs.readFileSync(
        path.join(
          PROJECT_ROOT,
          "node_modules/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.es2017.min.js",
        ),
        "utf8",
      );
      assert.equal(page.split(cpu.slice(-300)).length - 1, 1, "tfjs once");
      assert.equal(
        page.split("exports.mountLivePanels(window.tf, document)").length - 1,
        1,
        "page code once",
      );
      assert.equal(
        page.split("ae-live-data").length - 1,
        2 + 1,
        "two data blocks (+ the page code's selector)",
      );
      const none = path.join(tmp, "none.ipynb");
      fs.writeFileSync(none, JSON.stringify(notebook([cell("c", ["<p>no panel</p>"])])));
      const plain = fs.readFileSync(await exportNotebookHtml(none), "utf8");
      assert.ok(
        !plain.includes("mountLivePanels") && !plain.includes(cpu.slice(-300)),
        "tfjs in a page without a panel",
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
