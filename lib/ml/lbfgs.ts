/**
 * Limited-memory BFGS (Nocedal 1980; Nocedal & Wright, Numerical Optimization, algorithm 7.4)
 * for smooth unconstrained minimisation: the two-loop recursion over the last `memory` pairs of
 * steps and gradient changes gives the search direction, scaled by the usual γ = sᵀy / yᵀy; a
 * backtracking line search (Armijo condition, c = 1e-4, halving from step 1, at most 30 tries)
 * picks the step. A direction that is not downhill (noise in a float32 gradient) restarts from
 * steepest descent. Deterministic; works in place on the parameter vector.
 */

import { LatentInputError } from "./check";

export interface LbfgsOptions {
  /** Iterations at most (default 300; typical 100-1000). */
  maxIterations?: number;
  /**
   * Stop when the largest gradient entry falls below this (default 1e-4, sklearn's `tol` for
   * LogisticRegression's lbfgs solver). Also stops when an iteration improves the value by less
   * than 1e-10 relative.
   */
  tolerance?: number;
  /** Pairs of steps and gradient changes kept (default 10; typical 3-20). */
  memory?: number;
}

export interface LbfgsResult {
  /** Iterations taken. */
  iterations: number;
  /** The function's value at the final x. */
  value: number;
  /** False when maxIterations ran out or the line search found no lower value. */
  converged: boolean;
}

/**
 * Minimise a smooth function of the parameter vector `x`, starting from its values and leaving
 * the minimiser in it. `evaluate(x, gradient)` returns the value at x and writes the gradient.
 */
export function lbfgs(
  evaluate: (x: Float64Array, gradient: Float64Array) => number,
  x: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const maxIterations = options.maxIterations ?? 300;
  const tolerance = options.tolerance ?? 1e-4;
  const memory = options.memory ?? 10;
  for (const [name, value] of [
    ["maxIterations", maxIterations],
    ["memory", memory],
  ] as const) {
    if (!Number.isInteger(value) || value < (name === "memory" ? 1 : 0)) {
      throw new LatentInputError(
        `lbfgs: ${name} = ${value} must be a whole number ≥ ${name === "memory" ? 1 : 0}.`,
      );
    }
  }
  if (!(tolerance >= 0)) {
    throw new LatentInputError(`lbfgs: tolerance = ${tolerance} must be ≥ 0.`);
  }
  const size = x.length;
  let g = new Float64Array(size);
  let value = evaluate(x, g);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rhos: number[] = [];
  const direction = new Float64Array(size);
  const alphas = new Float64Array(memory);
  const maxAbs = (v: Float64Array) => v.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < size; i++) s += a[i] * b[i];
    return s;
  };
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    if (maxAbs(g) < tolerance) return { iterations, value, converged: true };
    // Two-loop recursion: direction = −H·g.
    for (let i = 0; i < size; i++) direction[i] = -g[i];
    for (let m = steps.length - 1; m >= 0; m--) {
      alphas[m] = rhos[m] * dot(steps[m], direction);
      for (let i = 0; i < size; i++) direction[i] -= alphas[m] * changes[m][i];
    }
    if (steps.length > 0) {
      const last = steps.length - 1;
      const gamma = dot(steps[last], changes[last]) / dot(changes[last], changes[last]);
      for (let i = 0; i < size; i++) direction[i] *= gamma;
    } else {
      const norm = Math.sqrt(dot(g, g));
      for (let i = 0; i < size; i++) direction[i] /= Math.max(1, norm);
    }
    for (let m = 0; m < steps.length; m++) {
      const beta = rhos[m] * dot(changes[m], direction);
      for (let i = 0; i < size; i++) direction[i] += (alphas[m] - beta) * steps[m][i];
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (float32 noise in the gradient): restart from steepest descent.
      steps.length = changes.length = rhos.length = 0;
      for (let i = 0; i < size; i++) direction[i] = -g[i] / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, direction);
    }
    const candidate = new Float64Array(size);
    const gNew = new Float64Array(size);
    let step = 1;
    let newValue = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < size; i++) candidate[i] = x[i] + step * direction[i];
      newValue = evaluate(candidate, gNew);
      if (newValue <= value + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(newValue < value)) return { iterations, value, converged: false }; // no progress left
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = candidate[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      steps.push(s);
      changes.push(y);
      rhos.push(1 / sy);
      if (steps.length > memory) {
        steps.shift();
        changes.shift();
        rhos.shift();
      }
    }
    const relative = (value - newValue) / Math.max(1e-12, Math.abs(value));
    x.set(candidate);
    g = gNew;
    value = newValue;
    if (relative < 1e-10) return { iterations: iterations + 1, value, converged: true };
  }
  return { iterations, value, converged: maxAbs(g) < tolerance };
}
