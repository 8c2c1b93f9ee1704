// ROC / PR curves: hand-computed cases and values from scikit-learn 1.9.1 on fixed inputs
// (roc_curve(drop_intermediate=False), roc_auc_score, precision_recall_curve,
// average_precision_score), hard-coded here: sklearn is not a dependency.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MissingClassError,
  RocInputError,
  precisionRecallCurve,
  ratesAtThreshold,
  rocCurve,
  thresholdAtFpr,
  thresholdFromNegatives,
} from "../../lib/apps/roc";

const close = (actual: readonly number[], expected: readonly number[], what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((v, i) =>
    assert.ok(
      v === expected[i] || Math.abs(v - expected[i]) < 1e-12,
      `${what}[${i}]: ${v} vs ${expected[i]}`,
    ),
  );
};

test("perfect separation: AUROC 1, AP 1; the curve climbs the left edge", () => {
  const roc = rocCurve([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]);
  close(roc.fpr, [0, 0, 0, 0.5, 1], "fpr");
  close(roc.tpr, [0, 0.5, 1, 1, 1], "tpr");
  assert.deepEqual(roc.thresholds, [Infinity, 0.9, 0.8, 0.2, 0.1]);
  assert.equal(roc.auroc, 1);
  assert.equal(precisionRecallCurve([0.1, 0.2, 0.8, 0.9], [false, false, true, true]).auprc, 1);
});

test("inverted scores: AUROC 0; AP 5/12 as sklearn", () => {
  const scores = [0.9, 0.8, 0.2, 0.1];
  assert.equal(rocCurve(scores, [0, 0, 1, 1]).auroc, 0);
  const pr = precisionRecallCurve(scores, [0, 0, 1, 1]);
  close(pr.precision, [0.5, 1 / 3, 0, 0, 1], "precision");
  close(pr.recall, [1, 0.5, 0, 0, 0], "recall");
  close(pr.thresholds, [0.1, 0.2, 0.8, 0.9], "thresholds");
  assert.ok(Math.abs(pr.auprc - 0.41666666666666663) < 1e-12);
});

test("all scores tied: one diagonal step, AUROC 0.5, AP = share of positives", () => {
  const roc = rocCurve([0.5, 0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0, 0]);
  close(roc.fpr, [0, 1], "fpr");
  close(roc.tpr, [0, 1], "tpr");
  assert.deepEqual(roc.thresholds, [Infinity, 0.5]);
  assert.equal(roc.auroc, 0.5);
  const pr = precisionRecallCurve([0.5, 0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0, 0]);
  assert.ok(Math.abs(pr.auprc - 0.4) < 1e-12);
  assert.equal(pr.baseline, 0.4);
});

test("one class missing, mismatched or empty input, NaN scores: typed errors that say what to do", () => {
  assert.throws(
    () => rocCurve([0.1, 0.2], [0, 0]),
    (e: unknown) => e instanceof MissingClassError && /no positive sample/.test(e.message),
  );
  assert.throws(
    () => precisionRecallCurve([0.1, 0.2], [true, true]),
    (e: unknown) => e instanceof MissingClassError && /no negative sample/.test(e.message),
  );
  assert.throws(() => ratesAtThreshold([0.1], [1], 0), MissingClassError);
  assert.ok(new MissingClassError("x") instanceof RocInputError);
  assert.throws(() => rocCurve([0.1, 0.2], [0, 1, 1]), /2 scores but 3 labels/);
  assert.throws(() => rocCurve([], []), RocInputError);
  assert.throws(() => rocCurve([0.1, NaN], [0, 1]), /Score 1 is NaN/);
  assert.throws(() => thresholdAtFpr({ scores: [1, 2], positives: [0, 1] }, 1.5), /\[0, 1\]/);
});

test("sklearn reference, small set with a tie across classes", () => {
  const scores = [0.1, 0.4, 0.35, 0.8, 0.65, 0.2, 0.9, 0.5, 0.5, 0.3];
  const labels = [0, 0, 1, 1, 0, 0, 1, 1, 0, 1];
  const roc = rocCurve(scores, labels);
  close(roc.fpr, [0.0, 0.0, 0.0, 0.2, 0.4, 0.6, 0.6, 0.6, 0.8, 1.0], "fpr");
  close(roc.tpr, [0.0, 0.2, 0.4, 0.4, 0.6, 0.6, 0.8, 1.0, 1.0, 1.0], "tpr");
  assert.deepEqual(roc.thresholds, [Infinity, 0.9, 0.8, 0.65, 0.5, 0.4, 0.35, 0.3, 0.2, 0.1]);
  assert.ok(Math.abs(roc.auroc - 0.7) < 1e-12);
  const pr = precisionRecallCurve(scores, labels);
  close(
    pr.precision,
    [0.5, 0.5555555555555556, 0.625, 0.5714285714285714, 0.5, 0.6, 0.6666666666666666, 1, 1, 1],
    "precision",
  );
  close(pr.recall, [1.0, 1.0, 1.0, 0.8, 0.6, 0.6, 0.4, 0.4, 0.2, 0.0], "recall");
  close(pr.thresholds, [0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.65, 0.8, 0.9], "thresholds");
  assert.ok(Math.abs(pr.auprc - 0.7592857142857143) < 1e-12);
});

test("sklearn reference, 40 samples with many ties (numpy default_rng(0))", () => {
  const scores = [
    -1.3, 2.3, 2.1, 1.6, 0.3, -0.3, 1.5, 2.0, 1.8, 1.3, 0.4, -0.4, -0.0, 1.5, -1.3, 1.2, 0.4, 0.7,
    -0.4, -0.7, 0.4, -0.4, 1.7, -0.5, 0.3, -0.3, 1.6, 1.3, 0.6, -2.2, 0.1, 0.7, 1.8, -0.6, 1.8,
    -1.3, -0.7, 0.9, 0.0, 2.0,
  ];
  const labels = [
    0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 0, 0, 0, 0, 0, 0, 0,
  ];
  const roc = rocCurve(scores, labels);
  assert.ok(Math.abs(roc.auroc - 0.6533333333333333) < 1e-12, `auroc ${roc.auroc}`);
  assert.equal(roc.fpr.length, 24, "-0 and 0 are one threshold, as in numpy");
  close(
    roc.tpr,
    [
      0, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 1, 1,
      1, 1, 1, 1,
    ],
    "tpr",
  );
  close(roc.fpr.slice(0, 8), [0, 0, 0, 2 / 30, 4 / 30, 5 / 30, 6 / 30, 7 / 30], "fpr");
  const pr = precisionRecallCurve(scores, labels);
  assert.ok(Math.abs(pr.auprc - 0.49009199134199133) < 1e-12, `ap ${pr.auprc}`);
  assert.equal(pr.precision.length, 24);
  assert.equal(pr.baseline, 10 / 40);
});

test("thresholdAtFpr: the highest TPR with FPR at or below the target, from a curve or scores", () => {
  const scores = [0.1, 0.4, 0.35, 0.8, 0.65, 0.2, 0.9, 0.5, 0.5, 0.3];
  const labels = [0, 0, 1, 1, 0, 0, 1, 1, 0, 1];
  const curve = rocCurve(scores, labels);
  assert.deepEqual(thresholdAtFpr(curve, 0.2), {
    threshold: 0.65,
    targetFpr: 0.2,
    fpr: 0.2,
    tpr: 0.4,
  });
  assert.deepEqual(thresholdAtFpr(curve, 0.5), {
    threshold: 0.5,
    targetFpr: 0.5,
    fpr: 0.4,
    tpr: 0.6,
  });
  assert.deepEqual(thresholdAtFpr(curve, 0), { threshold: 0.8, targetFpr: 0, fpr: 0, tpr: 0.4 });
  assert.deepEqual(thresholdAtFpr({ scores, positives: labels }, 0.2), thresholdAtFpr(curve, 0.2));
  assert.equal(thresholdAtFpr(curve, 1).threshold, 0.1);
  // The rates it reports are what the rule score >= threshold does on the data.
  const rates = ratesAtThreshold(scores, labels, 0.65);
  assert.deepEqual(
    { fpr: rates.fpr, tpr: rates.tpr, flagged: rates.flagged },
    { fpr: 0.2, tpr: 0.4, flagged: 3 },
  );
  assert.ok(Math.abs(rates.precision - 2 / 3) < 1e-12);
});

test("thresholdFromNegatives: chosen on in-distribution scores alone; ties never exceed the target", () => {
  const negatives = [0.1, 0.4, 0.65, 0.2, 0.5];
  assert.deepEqual(thresholdFromNegatives(negatives, 0.2), {
    threshold: 0.65,
    targetFpr: 0.2,
    fpr: 0.2,
    tpr: NaN,
  });
  assert.equal(thresholdFromNegatives(negatives, 0.1).threshold, Infinity);
  assert.equal(thresholdFromNegatives(negatives, 0.1).fpr, 0);
  assert.equal(thresholdFromNegatives(negatives, 1).threshold, 0.1);
  assert.equal(thresholdFromNegatives([1, 1, 0.5, 0.2], 0.25).threshold, Infinity);
  assert.deepEqual(
    [
      thresholdFromNegatives([1, 1, 0.5, 0.2], 0.5).threshold,
      thresholdFromNegatives([1, 1, 0.5, 0.2], 0.5).fpr,
    ],
    [1, 0.5],
  );
  // 5% of 20 is exactly one score, despite 0.05 * 20 rounding below 1 in floating point.
  const twenty = Array.from({ length: 20 }, (_, i) => i);
  assert.equal(thresholdFromNegatives(twenty, 0.05).threshold, 19);
});
