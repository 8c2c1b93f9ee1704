// L-BFGS (lib/ml/lbfgs.ts) on functions with known minima.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LatentInputError } from "../../lib/ml/check";
import { lbfgs } from "../../lib/ml/lbfgs";

test("lbfgs finds the minimum of Rosenbrock's function from the classic start", () => {
  const rosenbrock = (x: Float64Array, g: Float64Array): number => {
    const [a, b] = x;
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  };
  const x = Float64Array.of(-1.2, 1);
  const result = lbfgs(rosenbrock, x, { maxIterations: 500, tolerance: 1e-8 });
  assert.ok(result.converged, JSON.stringify(result));
  assert.ok(Math.abs(x[0] - 1) < 1e-5 && Math.abs(x[1] - 1) < 1e-5, `${x[0]}, ${x[1]}`);
  assert.ok(result.value < 1e-10);
});

test("lbfgs solves an ill-conditioned quadratic; a start at the minimum takes no step", () => {
  // f(x) = ½ Σ c_i (x_i − i)², condition number 1000.
  const scales = Float64Array.from({ length: 20 }, (_, i) => 1 + (999 * i) / 19);
  const quadratic = (x: Float64Array, g: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < x.length; i++) {
      g[i] = scales[i] * (x[i] - i);
      f += 0.5 * scales[i] * (x[i] - i) ** 2;
    }
    return f;
  };
  const x = new Float64Array(20);
  const result = lbfgs(quadratic, x, { tolerance: 1e-9 });
  assert.ok(result.converged);
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(x[i] - i) < 1e-8, `x[${i}] = ${x[i]}`);

  const atMinimum = Float64Array.from({ length: 20 }, (_, i) => i);
  const none = lbfgs(quadratic, atMinimum);
  assert.deepEqual(none, { iterations: 0, value: 0, converged: true });
});

test("lbfgs stops at maxIterations without claiming convergence, and rejects bad options", () => {
  const rosenbrock = (x: Float64Array, g: Float64Array): number => {
    g[0] = -2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2);
    g[1] = 200 * (x[1] - x[0] ** 2);
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2;
  };
  const result = lbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIterations: 3 });
  assert.equal(result.iterations, 3);
  assert.equal(result.converged, false);
  for (const options of [
    { maxIterations: -1 },
    { memory: 0 },
    { memory: 2.5 },
    { tolerance: NaN },
  ]) {
    assert.throws(() => lbfgs(rosenbrock, Float64Array.of(0, 0), options), LatentInputError);
  }
});
