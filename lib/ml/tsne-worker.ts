/**
 * Worker thread of t-SNE (started by tsne.ts with threads: 2): on each generation it builds the
 * quadtree of the shared layout and claims chunks of repulsion work, then reports done. No
 * messages: shared memory and Atomics only, so the main thread can wait synchronously.
 */
import { workerData } from "node:worker_threads";
import { CONTROL, QuadTree, repulsionChunks, type RepulsionWorkerData } from "./barnes-hut";

const data = workerData as RepulsionWorkerData;
const { control, params, layout, order, repulsive, sumQ, n } = data;
const counter = control.subarray(CONTROL.counter, CONTROL.counter + 1);
const tree = new QuadTree();
const holder = { stack: new Int32Array(256) };

// Read the generation before announcing readiness: the main thread starts the first one only
// after it sees ready.
let seen = Atomics.load(control, CONTROL.generation);
Atomics.store(control, CONTROL.ready, 1);
Atomics.notify(control, CONTROL.ready);
for (;;) {
  Atomics.wait(control, CONTROL.generation, seen);
  if (Atomics.load(control, CONTROL.stop) === 1) break;
  seen = Atomics.load(control, CONTROL.generation);
  tree.build(layout, n, order);
  repulsionChunks(tree, layout, order, n, params[0], repulsive, sumQ, counter, holder);
  Atomics.store(control, CONTROL.done, seen);
  Atomics.notify(control, CONTROL.done);
}
