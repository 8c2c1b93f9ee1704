// overfittingCheck on hand-made histories, one per verdict, and timePerEpoch statistics.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { overfittingCheck, timePerEpoch } from "../../lib/train/history-analysis";
import type { EpochRecord } from "../../lib/train/trainer";

/** A history from per-epoch [train, validation] losses; timings optional. */
function history(losses: Array<[number, number]>, seconds: number[] = []): EpochRecord[] {
  return losses.map(([trainLoss, valLoss], i) => {
    const epochSeconds = seconds[i] ?? 2;
    return {
      epoch: i + 1,
      trainLoss,
      valLoss,
      valBce: valLoss,
      valMse: valLoss / 20,
      trainSeconds: epochSeconds * 0.75,
      epochSeconds,
      samplesPerSecond: 1000 / (epochSeconds * 0.75),
    };
  });
}

test("no epochs: verdict no-epochs with null numbers", () => {
  const c = overfittingCheck([]);
  assert.equal(c.verdict, "no-epochs");
  assert.equal(c.bestEpoch, 0);
  assert.equal(c.gap, null);
  assert.equal(c.finalValLoss, null);
  assert.match(c.sentence, /No epoch/);
});

test("too short for the window: gap is still reported", () => {
  const c = overfittingCheck(
    history([
      [0.2, 0.22],
      [0.15, 0.165],
      [0.12, 0.132],
    ]),
  );
  assert.equal(c.verdict, "too-short");
  assert.equal(c.epochs, 3);
  assert.equal(c.bestEpoch, 3);
  assert.ok(Math.abs((c.gap as number) - 0.012) < 1e-12);
  assert.ok(Math.abs((c.relativeGap as number) - 0.1) < 1e-12);
  assert.equal(c.valChange, null);
  assert.match(c.sentence, /^\d+ epochs? cannot show a trend|^One epoch cannot show a trend/);
  assert.match(c.sentence, /with the one 3 before needs at least 4 epochs/);
  assert.doesNotMatch(c.sentence, /\(s\)/);
  assert.match(c.sentence, /10\.0% above training loss/);
});

test("overfitting: validation rises over the window while training falls", () => {
  const c = overfittingCheck(
    history([
      [0.2, 0.2],
      [0.15, 0.16],
      [0.12, 0.15],
      [0.1, 0.155],
      [0.09, 0.158],
      [0.08, 0.165],
    ]),
  );
  assert.equal(c.verdict, "overfitting");
  assert.equal(c.valRoseWhileTrainFell, true);
  assert.equal(c.bestEpoch, 3);
  assert.equal(c.bestValLoss, 0.15);
  // window 3: epoch 3 -> 6
  assert.ok(Math.abs((c.valChange as number) - 0.1) < 1e-12);
  assert.ok(Math.abs((c.trainChange as number) + 1 / 3) < 1e-12);
  assert.match(c.sentence, /^Overfitting: over epochs 3-6 validation loss rose 10\.0%/);
  assert.match(c.sentence, /best validation loss was at epoch 3/);
});

test("unstable: validation and training both rise", () => {
  const c = overfittingCheck(
    history([
      [0.2, 0.2],
      [0.15, 0.15],
      [0.16, 0.17],
      [0.18, 0.19],
      [0.2, 0.21],
    ]),
  );
  assert.equal(c.verdict, "unstable");
  assert.equal(c.valRoseWhileTrainFell, false);
  assert.match(c.sentence, /learning rate/);
});

test("past-best: flat now, but above the best of earlier epochs", () => {
  const c = overfittingCheck(
    history([
      [0.2, 0.2],
      [0.15, 0.14],
      [0.14, 0.16],
      [0.13, 0.161],
      [0.125, 0.16],
      [0.12, 0.1599],
    ]),
  );
  assert.equal(c.verdict, "past-best");
  assert.equal(c.bestEpoch, 2);
  assert.match(c.sentence, /14\.2% above its best \(epoch 2\)/);
});

test("improving: validation still falling at the end", () => {
  const c = overfittingCheck(
    history([
      [0.2, 0.19],
      [0.15, 0.15],
      [0.12, 0.125],
      [0.1, 0.11],
      [0.09, 0.1],
    ]),
  );
  assert.equal(c.verdict, "improving");
  assert.equal(c.bestEpoch, 5);
  assert.match(c.sentence, /Still improving/);
});

test("plateau: validation flat within the tolerance at its best", () => {
  const c = overfittingCheck(
    history([
      [0.2, 0.2],
      [0.1, 0.1],
      [0.0951, 0.1],
      [0.095, 0.09999],
      [0.0949, 0.09998],
      [0.0948, 0.09998],
    ]),
  );
  assert.equal(c.verdict, "plateau");
  assert.match(c.sentence, /^Converged/);
});

test("a denoising run's validation loss below its training loss gives a negative gap", () => {
  const c = overfittingCheck(history([[0.12, 0.1]]));
  assert.ok((c.gap as number) < 0);
  assert.match(c.sentence, /below training loss/);
});

test("window and tolerance change the verdict; bad values throw", () => {
  const h = history([
    [0.2, 0.2],
    [0.15, 0.15],
    [0.14, 0.149],
    [0.13, 0.148],
    [0.125, 0.147],
  ]);
  assert.equal(overfittingCheck(h).verdict, "improving"); // 1.3% over 3 epochs
  assert.equal(overfittingCheck(h, { tolerance: 0.05 }).verdict, "plateau");
  assert.equal(overfittingCheck(h, { window: 5 }).verdict, "too-short");
  assert.throws(() => overfittingCheck(h, { window: 0 }), /window must be a positive integer/);
  assert.throws(() => overfittingCheck(h, { tolerance: -1 }), /tolerance must be/);
});

test("timePerEpoch: mean, median, warm-up of the first epoch, train vs validation", () => {
  const s = timePerEpoch(history(Array(5).fill([0.1, 0.1]), [8, 4, 5, 4, 4]));
  assert.equal(s.epochs, 5);
  assert.equal(s.mean, 5);
  assert.equal(s.median, 4);
  assert.equal(s.min, 4);
  assert.equal(s.max, 8);
  assert.equal(s.first, 8);
  assert.equal(s.medianAfterFirst, 4);
  assert.equal(s.warmupSeconds, 4);
  assert.equal(s.totalSeconds, 25);
  assert.ok(Math.abs(s.meanTrainSeconds - 3.75) < 1e-12);
  assert.ok(Math.abs(s.meanValidationSeconds - 1.25) < 1e-12);
  assert.ok(Math.abs(s.medianSamplesPerSecond - 1000 / 3) < 1e-9);
});

test("timePerEpoch: one epoch has no warm-up estimate; an empty history throws", () => {
  const s = timePerEpoch(history([[0.1, 0.1]], [3]));
  assert.equal(s.first, 3);
  assert.ok(Number.isNaN(s.medianAfterFirst));
  assert.ok(Number.isNaN(s.warmupSeconds));
  assert.throws(() => timePerEpoch([]), /history is empty/);
});
