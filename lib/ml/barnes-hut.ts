/**
 * The Barnes-Hut part of t-SNE: a quadtree over the 2-D layout and the repulsive forces it
 * approximates. Kept apart from tsne.ts so the worker thread (tsne-worker.ts) can load it
 * without the rest: both threads build the same tree from the shared layout and take chunks of
 * points from a shared counter, so the result does not depend on which thread did what.
 */

/** Node record in QuadTree.summary: centre of mass x, y, mass, squared cell width. */
const STRIDE = 4;

/**
 * Points a leaf holds before it splits. Near a point, a small leaf costs about as much taken
 * point by point as a deeper subtree would, with fewer nodes to visit and build.
 */
export const LEAF_CAPACITY = 16;

/**
 * A quadtree over 2-D points in flat arrays, rebuilt in place each iteration. Node 0 is the
 * root; an internal node's four children are consecutive from child[node]; a leaf holds up to
 * LEAF_CAPACITY points (more only at exactly one place or at the depth limit) as a linked list:
 * point[leaf] is the first, next[p] the one after p (−1 ends it). What the force loop reads of a
 * node sits in one interleaved record (summary), so a visit touches one cache line.
 */
export class QuadTree {
  private capacity = 0;
  nodes = 0;
  /** Per node: [centre-of-mass x, y, mass, (cell width)²]; coordinate sums while building. */
  summary = new Float64Array(0);
  child = new Int32Array(0);
  point = new Int32Array(0);
  next = new Int32Array(0);
  private centerX = new Float64Array(0);
  private centerY = new Float64Array(0);
  private halfWidth = new Float64Array(0);

  private ensure(size: number): void {
    if (size <= this.capacity) return;
    const capacity = Math.max(size, Math.ceil(this.capacity * 1.5), 64);
    const grow64 = (a: Float64Array, stride = 1) => {
      const b = new Float64Array(capacity * stride);
      b.set(a);
      return b;
    };
    const grow32 = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.summary = grow64(this.summary, STRIDE);
    this.centerX = grow64(this.centerX);
    this.centerY = grow64(this.centerY);
    this.halfWidth = grow64(this.halfWidth);
    this.child = grow32(this.child);
    this.point = grow32(this.point);
    this.capacity = capacity;
  }

  private newNode(cx: number, cy: number, half: number): number {
    const node = this.nodes++;
    this.centerX[node] = cx;
    this.centerY[node] = cy;
    this.halfWidth[node] = half;
    const s = node * STRIDE;
    this.summary[s] = 0;
    this.summary[s + 1] = 0;
    this.summary[s + 2] = 0;
    this.summary[s + 3] = 4 * half * half;
    this.child[node] = -1;
    this.point[node] = -1;
    return node;
  }

  /** Build over the n points of y, inserting them in the given order. */
  build(y: Float64Array, n: number, order: Int32Array): void {
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const px = y[2 * i];
      const py = y[2 * i + 1];
      if (px < minX) minX = px;
      if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      if (py > maxY) maxY = py;
    }
    const half = Math.max(maxX - minX, maxY - minY, 1e-12) * 0.5 * (1 + 1e-6);
    this.nodes = 0;
    this.ensure(Math.ceil(n / 2) + 64);
    if (this.next.length < n) this.next = new Int32Array(n);
    this.newNode((minX + maxX) / 2, (minY + maxY) / 2, half);
    for (let r = 0; r < n; r++) this.insert(y, order[r]);
    const summary = this.summary;
    for (let node = 0; node < this.nodes; node++) {
      const s = node * STRIDE;
      const m = summary[s + 2];
      if (m > 0) {
        summary[s] /= m;
        summary[s + 1] /= m;
      }
    }
  }

  private insert(y: Float64Array, i: number): void {
    const px = y[2 * i];
    const py = y[2 * i + 1];
    const next = this.next;
    let node = 0;
    for (let depth = 0; ; depth++) {
      if (this.child[node] === -1) {
        const summary = this.summary;
        const s = node * STRIDE;
        let keep = summary[s + 2] < LEAF_CAPACITY || depth >= 60;
        if (!keep) {
          // A full leaf whose points all sit exactly here cannot be split apart.
          keep = true;
          for (let q = this.point[node]; q !== -1; q = next[q]) {
            if (y[2 * q] !== px || y[2 * q + 1] !== py) {
              keep = false;
              break;
            }
          }
        }
        if (keep) {
          next[i] = this.point[node];
          this.point[node] = i;
          summary[s] += px;
          summary[s + 1] += py;
          summary[s + 2] += 1;
          return;
        }
        this.split(y, node);
      }
      const summary = this.summary;
      const s = node * STRIDE;
      summary[s] += px;
      summary[s + 1] += py;
      summary[s + 2] += 1;
      node =
        this.child[node] + (px >= this.centerX[node] ? 1 : 0) + (py >= this.centerY[node] ? 2 : 0);
    }
  }

  /** Turn a full leaf into an internal node: its points move to the four new children. */
  private split(y: Float64Array, node: number): void {
    this.ensure(this.nodes + 4);
    const half = this.halfWidth[node] / 2;
    const cx = this.centerX[node];
    const cy = this.centerY[node];
    const first = this.nodes;
    this.newNode(cx - half, cy - half, half);
    this.newNode(cx + half, cy - half, half);
    this.newNode(cx - half, cy + half, half);
    this.newNode(cx + half, cy + half, half);
    this.child[node] = first;
    const { summary, next, point } = this;
    let q = point[node];
    point[node] = -1;
    while (q !== -1) {
      const after = next[q];
      const qx = y[2 * q];
      const qy = y[2 * q + 1];
      const c = first + (qx >= cx ? 1 : 0) + (qy >= cy ? 2 : 0);
      next[q] = point[c];
      point[c] = q;
      const t = c * STRIDE;
      summary[t] += qx;
      summary[t + 1] += qy;
      summary[t + 2] += 1;
      q = after;
    }
  }
}

/** Spread the 15 low bits of v to the even bit positions (for Morton codes). */
function spreadBits(v: number): number {
  v &= 0x7fff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

/** Index bits below the Morton key (30 bits): key · 2^23 + index < 2^53 for n ≤ 8 million. */
const INDEX_FACTOR = 2 ** 23;

/** The most points mortonOrder can sort. */
export const MAX_LAYOUT_POINTS = INDEX_FACTOR;

/**
 * Points sorted along a Z-order (Morton) curve of the layout into `order`: consecutive points
 * are neighbours, so their quadtree walks touch the same nodes (cache) and insertion follows
 * the tree. `keys` is scratch of length n.
 */
export function mortonOrder(
  y: Float64Array,
  n: number,
  keys: Float64Array,
  order: Int32Array,
): void {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    if (y[2 * i] < minX) minX = y[2 * i];
    if (y[2 * i] > maxX) maxX = y[2 * i];
    if (y[2 * i + 1] < minY) minY = y[2 * i + 1];
    if (y[2 * i + 1] > maxY) maxY = y[2 * i + 1];
  }
  const scale = 32767 / Math.max(maxX - minX, maxY - minY, 1e-12);
  for (let i = 0; i < n; i++) {
    const gx = Math.floor((y[2 * i] - minX) * scale);
    const gy = Math.floor((y[2 * i + 1] - minY) * scale);
    keys[i] = (spreadBits(gx) | (spreadBits(gy) << 1)) * INDEX_FACTOR + i;
  }
  keys.sort();
  for (let r = 0; r < n; r++) order[r] = keys[r] % INDEX_FACTOR;
}

/** Points per chunk taken from the shared counter. */
export const REPULSION_CHUNK = 256;

/** A growable traversal stack (one per thread). */
export interface TraversalStack {
  stack: Int32Array;
}

/**
 * Repulsive forces Σ_j w_ij² (y_i − y_j) into `repulsive` and the row sums Σ_j w_ij into
 * `sumQ`, for the points of `order`, in chunks claimed from counter[0] (Atomics, so two threads
 * can share the work) until all n are taken. Cells far enough away (width² < θ² d²) act as one
 * mass at their centre of mass; θ = 0 is exact.
 */
export function repulsionChunks(
  tree: QuadTree,
  y: Float64Array,
  order: Int32Array,
  n: number,
  theta: number,
  repulsive: Float64Array,
  sumQ: Float64Array,
  counter: Int32Array,
  holder: TraversalStack,
): void {
  const { summary, child, point, next } = tree;
  let stack = holder.stack;
  const theta2 = theta * theta;
  for (;;) {
    const from = Atomics.add(counter, 0, REPULSION_CHUNK);
    if (from >= n) break;
    const to = Math.min(n, from + REPULSION_CHUNK);
    for (let r = from; r < to; r++) {
      const i = order[r];
      const xi = y[2 * i];
      const yi = y[2 * i + 1];
      let fx = 0;
      let fy = 0;
      let sum = 0;
      // Each popped node was too close to take whole: test its children right away, so a
      // cell taken whole never goes through the stack.
      let top = 0;
      if (child[0] === -1) {
        // The root is a leaf (few points, or all at one place): every other point exactly.
        for (let j = point[0]; j !== -1; j = next[j]) {
          if (j === i) continue;
          const ex = xi - y[2 * j];
          const ey = yi - y[2 * j + 1];
          const q = 1 / (1 + ex * ex + ey * ey);
          sum += q;
          fx += q * q * ex;
          fy += q * q * ey;
        }
      } else {
        stack[top++] = 0;
      }
      while (top > 0) {
        const first = child[stack[--top]];
        if (top + 4 > stack.length) {
          const bigger = new Int32Array(stack.length * 2);
          bigger.set(stack);
          stack = holder.stack = bigger;
        }
        for (let c = first; c < first + 4; c++) {
          const s = c * STRIDE;
          const m = summary[s + 2];
          if (m === 0) continue;
          const dx = xi - summary[s];
          const dy = yi - summary[s + 1];
          const d2 = dx * dx + dy * dy;
          if (summary[s + 3] < theta2 * d2) {
            // Far enough: the whole cell at its centre of mass (for θ < 0.7 never i's own).
            const q = 1 / (1 + d2);
            const mq = m * q;
            sum += mq;
            fx += mq * q * dx;
            fy += mq * q * dy;
          } else if (child[c] === -1) {
            // A near leaf: its points one by one (i itself skipped; duplicates at distance 0).
            for (let j = point[c]; j !== -1; j = next[j]) {
              if (j === i) continue;
              const ex = xi - y[2 * j];
              const ey = yi - y[2 * j + 1];
              const q = 1 / (1 + ex * ex + ey * ey);
              sum += q;
              fx += q * q * ex;
              fy += q * q * ey;
            }
          } else {
            stack[top++] = c;
          }
        }
      }
      repulsive[2 * i] = fx;
      repulsive[2 * i + 1] = fy;
      sumQ[i] = sum;
    }
  }
}

/** Slots of the shared Int32 control array between tsne.ts and its worker (tsne-worker.ts). */
export const CONTROL = {
  /** Generation: the main thread increments it to start an iteration's repulsion. */
  generation: 0,
  /** The last generation the worker finished. */
  done: 1,
  /** 1 = the worker should exit. */
  stop: 2,
  /** 1 once the worker is waiting for work. */
  ready: 3,
  /** The chunk counter both threads claim points from. */
  counter: 4,
  length: 5,
} as const;

/** What the worker receives (every array over a SharedArrayBuffer). */
export interface RepulsionWorkerData {
  n: number;
  control: Int32Array;
  /** [theta] */
  params: Float64Array;
  layout: Float64Array;
  order: Int32Array;
  repulsive: Float64Array;
  sumQ: Float64Array;
}
