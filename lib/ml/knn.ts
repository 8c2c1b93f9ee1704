/**
 * k-nearest-neighbour classification: the vote over neighbour lists, and the leave-one-out
 * accuracy of labelled points (how well the geometry of a space keeps classes together).
 *
 * The vote uses uniform weights and breaks a tie towards the smallest tied label, exactly as
 * sklearn's KNeighborsClassifier(weights="uniform"), whose prediction is the argmax of the vote
 * shares, i.e. the first (smallest) tied class.
 */
import { checkNeighborCount, checkPoints, LatentInputError } from "./check";
import { nearestNeighbors } from "./neighbors";

/**
 * The predicted class of each of the neighbour lists (rows × k, row-major indices into
 * `labels`): the majority label of its k neighbours, a tie going to the smallest label.
 * `classes` is one more than the largest label.
 */
export function knnVote(
  neighbors: Int32Array,
  k: number,
  labels: ArrayLike<number>,
  classes: number,
): Int32Array {
  const rows = neighbors.length / k;
  const votes = new Int32Array(classes);
  const predicted = new Int32Array(rows);
  for (let q = 0; q < rows; q++) {
    votes.fill(0);
    for (let r = 0; r < k; r++) votes[labels[neighbors[q * k + r]]]++;
    let best = 0;
    for (let c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
    predicted[q] = best;
  }
  return predicted;
}

/**
 * Leave-one-out k-nearest-neighbour classification accuracy of points (n × dim) with the given
 * labels: each point is given the majority label of its k nearest other points (a tie goes to the
 * smallest label, as sklearn's KNeighborsClassifier with uniform weights). In [0, 1].
 */
export function knnLabelAccuracy(
  points: Float32Array,
  n: number,
  dim: number,
  labels: ArrayLike<number>,
  k: number,
): number {
  checkPoints(points, n, dim);
  checkNeighborCount(k, n);
  if (labels.length !== n) {
    throw new LatentInputError(
      `knnLabelAccuracy got ${labels.length} labels for ${n} points: pass one label per point.`,
    );
  }
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0) {
      throw new LatentInputError(
        `label ${i} is ${label}: labels must be non-negative integers (class indices).`,
      );
    }
    if (label > maxLabel) maxLabel = label;
  }
  const predicted = knnVote(nearestNeighbors(points, n, dim, k).indices, k, labels, maxLabel + 1);
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === labels[i]) correct++;
  return correct / n;
}
