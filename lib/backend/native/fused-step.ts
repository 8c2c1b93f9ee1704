/**
 * The training step on the native TensorFlow engine: forward, backward and Adam for the stacked
 * layers of our autoencoders (Dense, Conv2D, Conv2DTranspose, Reshape, Flatten), written once as
 * raw TensorFlow ops on the binding. It issues about a quarter of the kernels that
 * `optimizer.minimize` over a layers model does (no tape, no broadcasting helpers, MatMul with
 * transpose flags, ReluGrad/BiasAddGrad, one ResourceApplyAdam per weight instead of ~10
 * elementwise ops), which is what bounds a small model's step on this backend.
 *
 * Weights and Adam's moments live in TensorFlow resource variables during an epoch; `sync()`
 * writes them back into the tfjs model and optimizer (before validation and checkpoints), so the
 * rest of the library never sees this path. Adam follows tfjs' formula exactly:
 * TensorFlow's kernel adds epsilon to sqrt(v) rather than to sqrt(v̂), so it is given
 * epsilon·sqrt(1 − β₂ᵗ), which makes the two updates equal.
 */
import * as tf from "@tensorflow/tfjs";
import type { LossName } from "../../config";
import type { Autoencoder } from "../../model/autoencoder";
import { NativeOps, type NodeKernelBackend, type Padding } from "./binding";

type ActivationOp = "Relu" | "Sigmoid" | "Tanh" | "Elu" | "Selu" | null;

const ACTIVATIONS: Record<string, ActivationOp> = {
  linear: null,
  relu: "Relu",
  sigmoid: "Sigmoid",
  tanh: "Tanh",
  elu: "Elu",
  selu: "Selu",
};

/** One trainable tensor: its tfjs variable, slot index in Adam, and native resource handles. */
interface Parameter {
  variable: tf.Variable;
  index: number;
  shape: number[];
  handle: number;
  m: number;
  v: number;
  /** The value read at the start of the current step (a temporary). */
  value: number;
}

type Stage =
  | { kind: "dense"; kernel: Parameter; bias: Parameter | null; activation: ActivationOp }
  | {
      kind: "conv2d" | "conv2dTranspose";
      kernel: Parameter;
      bias: Parameter | null;
      activation: ActivationOp;
      strides: number[];
      padding: Padding;
      /** Output [height, width, channels] (conv2dTranspose needs it to run). */
      outputShape: number[];
    }
  | { kind: "reshape"; outputShape: number[] };

/** Why a model cannot take the fused path (null: it can). */
export type Unsupported = string;

interface LayerLike {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  trainableWeights: Array<{ read(): tf.Tensor }>;
  outputShape: unknown;
}

function pair(value: unknown): [number, number] {
  return Array.isArray(value)
    ? [value[0], value[1] ?? value[0]]
    : [value as number, value as number];
}

/** Turn the model's layers into stages, or say which layer has no fused form here. */
function compileStages(
  model: Autoencoder,
  parameterOf: (v: tf.Variable) => Parameter,
): Stage[] | Unsupported {
  if (model.variance) return "a VAE samples its code (trained by the generic tfjs path)";
  const layers = [...model.encoder.layers, ...model.decoderLogits.layers] as unknown as LayerLike[];
  const stages: Stage[] = [];
  for (const layer of layers) {
    const name = layer.getClassName();
    if (name === "InputLayer") continue;
    const config = layer.getConfig();
    const outputShape = (layer.outputShape as number[]).slice(1);
    if (name === "Reshape" || name === "Flatten") {
      stages.push({ kind: "reshape", outputShape });
      continue;
    }
    const activationName = String(config.activation ?? "linear");
    if (!(activationName in ACTIVATIONS)) return `layer ${name} has activation ${activationName}`;
    const activation = ACTIVATIONS[activationName];
    const weights = layer.trainableWeights.map((w) => parameterOf(w.read() as tf.Variable));
    const kernel = weights[0];
    const bias = config.useBias === false ? null : (weights[1] ?? null);
    if (name === "Dense") {
      stages.push({ kind: "dense", kernel, bias, activation });
      continue;
    }
    if (name === "Conv2D" || name === "Conv2DTranspose") {
      if (config.dataFormat !== undefined && config.dataFormat !== "channelsLast")
        return `layer ${name} is ${String(config.dataFormat)}`;
      if (pair(config.dilationRate ?? 1).some((d) => d !== 1)) return `layer ${name} is dilated`;
      const [sh, sw] = pair(config.strides ?? 1);
      stages.push({
        kind: name === "Conv2D" ? "conv2d" : "conv2dTranspose",
        kernel,
        bias,
        activation,
        strides: [1, sh, sw, 1],
        padding: config.padding === "same" ? "SAME" : "VALID",
        outputShape,
      });
      continue;
    }
    return `layer type ${name}`;
  }
  return stages;
}

interface AdamInternals {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  iterations_: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
}

/** tfjs multiplies the beta powers in float32 after each step; so do we. */
function nextBetaPower(power: number, beta: number): number {
  return Math.fround(Math.fround(power) * Math.fround(beta));
}

export interface FusedTrainStep {
  /** One Adam step on a batch [rows, pixels] (clean targets, `inputs` possibly corrupted). */
  step(clean: tf.Tensor2D, inputs: tf.Tensor2D): number;
  /** Write weights and Adam's state into the tfjs model and optimizer. */
  sync(): void;
  /** Kernels one step issues, for profiling. */
  readonly opsPerStep: number;
  dispose(): void;
}

/**
 * A fused step for `model` trained with `optimizer` (a tfjs Adam, possibly carrying state from a
 * checkpoint), or the reason the model has no fused form (the caller then uses the generic path).
 */
export function createFusedTrainStep(
  backend: NodeKernelBackend,
  model: Autoencoder,
  loss: LossName,
  optimizer: tf.Optimizer,
): FusedTrainStep | Unsupported {
  const adam = optimizer as unknown as AdamInternals;
  if (optimizer.getClassName() !== "Adam") return `optimizer ${optimizer.getClassName()}`;
  const ops = new NativeOps(backend.binding);
  const variables = model.trainableWeights();
  const parameters = new Map<tf.Variable, Parameter>();
  const parameterOf = (variable: tf.Variable): Parameter => {
    const found = parameters.get(variable);
    if (found) return found;
    const index = variables.indexOf(variable);
    if (index < 0) throw new Error(`weight ${variable.name} is not among the trainable weights`);
    const handleOf = (source: tf.Tensor | null) => {
      const handle = ops.variable(variable.shape);
      const value =
        source === null
          ? ops.tensor(variable.shape, new Float32Array(variable.size))
          : backend.getInputTensorIds([source])[0];
      ops.assignVariable(handle, value);
      return handle;
    };
    const parameter: Parameter = {
      variable,
      index,
      shape: variable.shape,
      handle: handleOf(variable),
      m: handleOf(adam.accumulatedFirstMoment[index]?.variable ?? null),
      v: handleOf(adam.accumulatedSecondMoment[index]?.variable ?? null),
      value: -1,
    };
    parameters.set(variable, parameter);
    return parameter;
  };
  const compiled = compileStages(model, parameterOf);
  ops.release();
  if (typeof compiled === "string") {
    for (const p of parameters.values())
      [p.handle, p.m, p.v].forEach((h) => ops.destroyVariable(h));
    ops.dispose();
    return compiled;
  }
  if (parameters.size !== variables.length) {
    throw new Error(`the fused step found ${parameters.size} of ${variables.length} weights`);
  }
  const stages = compiled;
  const all = [...parameters.values()];
  let iterations = (optimizer as unknown as { iterations: number }).iterations;
  let beta1Power = adam.accBeta1.dataSync()[0];
  let beta2Power = adam.accBeta2.dataSync()[0];
  const beta1 = ops.constantScalar(adam.beta1);
  const beta2 = ops.constantScalar(adam.beta2);
  let opsPerStep = 0;

  /** Forward: each stage's input and output ids (outputs after the activation). */
  const forward = (x: number, batch: number) => {
    const inputs: number[] = [];
    const outputs: number[] = [];
    let h = x;
    for (const s of stages) {
      inputs.push(h);
      let z: number;
      if (s.kind === "reshape") z = ops.reshape(h, [-1, ...s.outputShape]);
      else {
        if (s.kind === "dense") z = ops.matMul(h, s.kernel.value);
        else if (s.kind === "conv2d") z = ops.conv2d(h, s.kernel.value, s.strides, s.padding);
        else {
          z = ops.conv2dBackpropInput(
            [batch, ...s.outputShape],
            s.kernel.value,
            h,
            s.strides,
            s.padding,
          );
        }
        if (s.bias) z = ops.biasAdd(z, s.bias.value);
        if (s.activation) z = ops.unary(s.activation, z);
      }
      outputs.push(z);
      h = z;
    }
    return { inputs, outputs, logits: h };
  };

  /** Loss (mean over pixels and images) and its gradient with respect to the logits. */
  const lossAndGradient = (logits: number, targets: number, count: number) => {
    const scale = ops.constantScalar(1 / count);
    if (loss === "bce") {
      // BCE from logits: softplus(l) − l·x (= max(l,0) − l·x + log(1 + e^−|l|)).
      const value = ops.meanAll(
        ops.binary("Sub", ops.unary("Softplus", logits), ops.binary("Mul", logits, targets)),
        2,
      );
      const grad = ops.binary(
        "Mul",
        ops.binary("Sub", ops.unary("Sigmoid", logits), targets),
        scale,
      );
      return { value, grad };
    }
    const p = ops.unary("Sigmoid", logits);
    const diff = ops.binary("Sub", p, targets);
    const value = ops.meanAll(ops.unary("Square", diff), 2);
    const twice = ops.constantScalar(2 / count);
    const grad = ops.activationGrad("Sigmoid", ops.binary("Mul", diff, twice), p);
    return { value, grad };
  };

  const step = (clean: tf.Tensor2D, inputs: tf.Tensor2D): number => {
    const before = backend.binding.getNumOfTensors();
    const [batch, pixels] = clean.shape;
    const [targets, x] = backend.getInputTensorIds(clean === inputs ? [clean] : [clean, inputs]);
    const input = x ?? targets;
    for (const p of all) p.value = ops.readVariable(p.handle);
    const { inputs: stageInputs, outputs, logits } = forward(input, batch);
    const { value, grad } = lossAndGradient(logits, targets, batch * pixels);
    // Backward, last stage first; `g` is the gradient with respect to the stage's output.
    const grads = new Map<Parameter, number>();
    let g = grad;
    for (let i = stages.length - 1; i >= 0; i--) {
      const s = stages[i];
      const h = stageInputs[i];
      const needInput = i > 0;
      if (s.kind === "reshape") {
        g = ops.reshape(g, [-1, ...inputShapeOf(i)]);
        continue;
      }
      const dz = s.activation ? ops.activationGrad(s.activation, g, outputs[i]) : g;
      if (s.bias) grads.set(s.bias, ops.biasAddGrad(dz));
      if (s.kind === "dense") {
        grads.set(s.kernel, ops.matMul(h, dz, true, false));
        if (needInput) g = ops.matMul(dz, s.kernel.value, false, true);
      } else if (s.kind === "conv2d") {
        grads.set(s.kernel, ops.conv2dBackpropFilter(h, s.kernel.shape, dz, s.strides, s.padding));
        if (needInput) {
          g = ops.conv2dBackpropInput(
            [batch, ...inputShapeOf(i)],
            s.kernel.value,
            dz,
            s.strides,
            s.padding,
          );
        }
      } else {
        grads.set(s.kernel, ops.conv2dBackpropFilter(dz, s.kernel.shape, h, s.strides, s.padding));
        if (needInput) g = ops.conv2d(dz, s.kernel.value, s.strides, s.padding);
      }
    }
    // Adam: tfjs' update with β powers for this step; epsilon moved inside sqrt(v) (see top).
    const scalars = {
      beta1Power: ops.scalar(beta1Power),
      beta2Power: ops.scalar(beta2Power),
      lr: ops.scalar(adam.learningRate),
      beta1,
      beta2,
    };
    const epsilon = ops.scalar(adam.epsilon * Math.sqrt(1 - beta2Power));
    for (const p of all) {
      ops.applyAdam(p.handle, p.m, p.v, scalars, epsilon, grads.get(p) as number);
    }
    beta1Power = nextBetaPower(beta1Power, adam.beta1);
    beta2Power = nextBetaPower(beta2Power, adam.beta2);
    iterations++;
    const result = ops.read(value)[0];
    opsPerStep = backend.binding.getNumOfTensors() - before + all.length;
    ops.release();
    return result;
  };

  /** Input shape (without batch) of stage i: the output of the stage before, or the image. */
  const inputShapeOf = (i: number): number[] => {
    if (i > 0) {
      const prev = stages[i - 1];
      if (prev.kind === "dense") return [prev.kernel.shape[1]];
      return prev.outputShape;
    }
    return (model.encoder.inputs[0].shape as number[]).slice(1);
  };

  const sync = () => {
    tf.tidy(() => {
      for (const p of all) {
        const read = (handle: number) =>
          backend.createOutputTensor(
            backend.binding.executeOp(
              "ReadVariableOp",
              [
                {
                  name: "dtype",
                  type: backend.binding.TF_ATTR_TYPE,
                  value: backend.binding.TF_FLOAT,
                },
              ],
              [handle],
              1,
            )[0],
          );
        p.variable.assign(read(p.handle));
        for (const [slots, handle, suffix] of [
          [adam.accumulatedFirstMoment, p.m, "m"],
          [adam.accumulatedSecondMoment, p.v, "v"],
        ] as const) {
          const value = read(handle);
          const slot = slots[p.index];
          if (slot) slot.variable.assign(value);
          else {
            slots[p.index] = {
              originalName: `${p.variable.name}/${suffix}`,
              variable: tf.keep(value.variable(false)),
            };
          }
        }
      }
      adam.accBeta1.assign(tf.scalar(beta1Power));
      adam.accBeta2.assign(tf.scalar(beta2Power));
    });
    adam.iterations_ = iterations;
  };

  return {
    step,
    sync,
    get opsPerStep() {
      return opsPerStep;
    },
    dispose() {
      for (const p of all) [p.handle, p.m, p.v].forEach((h) => ops.destroyVariable(h));
      ops.dispose();
    },
  };
}
