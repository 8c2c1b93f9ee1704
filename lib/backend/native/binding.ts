/**
 * Typed access to the native TensorFlow binding behind tfjs-node's "tensorflow" backend, and a
 * small op emitter over it. Ops run eagerly through TFE_Execute; tensors are plain numeric ids in
 * the binding's handle map (not tfjs tensors), so the caller deletes what it creates. This skips
 * tfjs' per-op bookkeeping (kernel lookup, tape, engine tracking), which costs more than the op
 * itself for the small tensors of a training step.
 */
import * as tf from "@tensorflow/tfjs";

/** What executeOp returns per output. */
export interface NativeTensorInfo {
  id: number;
  shape: number[];
  dtype: number;
}

export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The subset of tfjs-node's N-API binding used here (binding/tfjs_binding.cc). */
export interface TensorFlowBinding {
  executeOp(name: string, attrs: OpAttr[], inputs: number[], outputs: number): NativeTensorInfo[];
  createTensor(shape: number[], dtype: number, values: ArrayLike<number>): number;
  deleteTensor(id: number): void;
  tensorDataSync(id: number): Float32Array | Int32Array | Uint8Array;
  getNumOfTensors(): number;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_INT64: number;
  TF_RESOURCE: number;
  TF_ATTR_STRING: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
}

/** tfjs-node's backend object, as far as it is used to move tensors in and out. */
export interface NodeKernelBackend {
  binding: TensorFlowBinding;
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(info: NativeTensorInfo): tf.Tensor;
}

/** The running tfjs-node backend, or null when another backend is active. */
export function activeNativeBackend(): NodeKernelBackend | null {
  if (tf.getBackend() !== "tensorflow") return null;
  const backend = tf.backend() as unknown as Partial<NodeKernelBackend>;
  return backend.binding && backend.getInputTensorIds ? (backend as NodeKernelBackend) : null;
}

export type Padding = "SAME" | "VALID";

/**
 * Emits float32 ops on the binding. Every id an op returns is recorded in `temporaries` until
 * `release()` deletes them, so a training step frees everything it made in one call.
 */
export class NativeOps {
  private readonly t: OpAttr;
  private readonly int32Constants = new Map<string, number>();
  private readonly scalarConstants = new Map<number, number>();
  private temporaries: number[] = [];
  private uniqueNames = 0;

  constructor(readonly binding: TensorFlowBinding) {
    this.t = { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT };
  }

  private attr(name: string, type: "bool" | "int" | "string" | "type" | "shape", value: unknown) {
    const b = this.binding;
    const types = {
      bool: b.TF_ATTR_BOOL,
      int: b.TF_ATTR_INT,
      string: b.TF_ATTR_STRING,
      type: b.TF_ATTR_TYPE,
      shape: b.TF_ATTR_SHAPE,
    };
    return { name, type: types[type], value };
  }

  private run(name: string, inputs: number[], attrs: OpAttr[]): number {
    const id = this.binding.executeOp(name, attrs, inputs, 1)[0].id;
    this.temporaries.push(id);
    return id;
  }

  /** Delete every temporary made since the last release. */
  release(): void {
    for (const id of this.temporaries) this.binding.deleteTensor(id);
    this.temporaries = [];
  }

  /** Keep `id` past release() (the caller now owns it). */
  keep(id: number): number {
    const i = this.temporaries.lastIndexOf(id);
    if (i >= 0) this.temporaries.splice(i, 1);
    return id;
  }

  /** A float32 tensor from values (a temporary). */
  tensor(shape: number[], values: Float32Array): number {
    const id = this.binding.createTensor(shape, this.binding.TF_FLOAT, values);
    this.temporaries.push(id);
    return id;
  }

  /** A float32 scalar (a temporary): per-step values such as the learning rate. */
  scalar(value: number): number {
    return this.tensor([], Float32Array.of(value));
  }

  /** A float32 scalar kept for the life of this emitter (constants such as beta1). */
  constantScalar(value: number): number {
    let id = this.scalarConstants.get(value);
    if (id === undefined) {
      id = this.binding.createTensor([], this.binding.TF_FLOAT, Float32Array.of(value));
      this.scalarConstants.set(value, id);
    }
    return id;
  }

  /** An int32 vector kept for the life of this emitter (shapes, axes). */
  int32(values: number[]): number {
    const key = values.join(",");
    let id = this.int32Constants.get(key);
    if (id === undefined) {
      id = this.binding.createTensor(
        [values.length],
        this.binding.TF_INT32,
        Int32Array.from(values),
      );
      this.int32Constants.set(key, id);
    }
    return id;
  }

  read(id: number): Float32Array {
    return this.binding.tensorDataSync(id) as Float32Array;
  }

  matMul(a: number, b: number, transposeA = false, transposeB = false): number {
    return this.run(
      "MatMul",
      [a, b],
      [
        this.t,
        this.attr("transpose_a", "bool", transposeA),
        this.attr("transpose_b", "bool", transposeB),
      ],
    );
  }

  private readonly nhwc = () => this.attr("data_format", "string", "NHWC");

  biasAdd(x: number, bias: number): number {
    return this.run("BiasAdd", [x, bias], [this.t, this.nhwc()]);
  }

  biasAddGrad(dy: number): number {
    return this.run("BiasAddGrad", [dy], [this.t, this.nhwc()]);
  }

  unary(name: "Relu" | "Sigmoid" | "Tanh" | "Elu" | "Selu" | "Softplus" | "Square", x: number) {
    return this.run(name, [x], [this.t]);
  }

  binary(name: "Add" | "Sub" | "Mul", a: number, b: number): number {
    return this.run(name, [a, b], [this.t]);
  }

  /** Gradient of an activation from its output y (ReluGrad/EluGrad/SeluGrad take (dy, y)). */
  activationGrad(name: "Relu" | "Sigmoid" | "Tanh" | "Elu" | "Selu", dy: number, y: number) {
    if (name === "Sigmoid" || name === "Tanh") return this.run(`${name}Grad`, [y, dy], [this.t]);
    return this.run(`${name}Grad`, [dy, y], [this.t]);
  }

  /** Mean over every element of a tensor of `rank`. */
  meanAll(x: number, rank: number): number {
    return this.run(
      "Mean",
      [x, this.int32([...Array(rank).keys()])],
      [
        this.t,
        this.attr("Tidx", "type", this.binding.TF_INT32),
        this.attr("keep_dims", "bool", false),
      ],
    );
  }

  reshape(x: number, shape: number[]): number {
    return this.run(
      "Reshape",
      [x, this.int32(shape)],
      [this.t, this.attr("Tshape", "type", this.binding.TF_INT32)],
    );
  }

  private convAttrs(strides: number[], padding: Padding): OpAttr[] {
    return [
      this.t,
      this.attr("strides", "int", strides),
      this.attr("padding", "string", padding),
      this.nhwc(),
      this.attr("dilations", "int", [1, 1, 1, 1]),
      this.attr("use_cudnn_on_gpu", "bool", true),
    ];
  }

  conv2d(x: number, filter: number, strides: number[], padding: Padding): number {
    return this.run("Conv2D", [x, filter], this.convAttrs(strides, padding));
  }

  conv2dBackpropInput(
    inputShape: number[],
    filter: number,
    dy: number,
    strides: number[],
    padding: Padding,
  ): number {
    return this.run(
      "Conv2DBackpropInput",
      [this.int32(inputShape), filter, dy],
      this.convAttrs(strides, padding),
    );
  }

  conv2dBackpropFilter(
    x: number,
    filterShape: number[],
    dy: number,
    strides: number[],
    padding: Padding,
  ): number {
    return this.run(
      "Conv2DBackpropFilter",
      [x, this.int32(filterShape), dy],
      this.convAttrs(strides, padding),
    );
  }

  /** A float32 resource variable of `shape` (not a temporary: destroy it with destroyVariable). */
  variable(shape: number[]): number {
    const b = this.binding;
    const [info] = b.executeOp(
      "VarHandleOp",
      [
        this.attr("container", "string", ""),
        this.attr("shared_name", "string", `autoencoder_lab_${process.pid}_${this.uniqueNames++}`),
        this.attr("dtype", "type", b.TF_FLOAT),
        this.attr("shape", "shape", shape),
      ],
      [],
      1,
    );
    return info.id;
  }

  assignVariable(handle: number, value: number): void {
    this.binding.executeOp(
      "AssignVariableOp",
      [this.attr("dtype", "type", this.binding.TF_FLOAT)],
      [handle, value],
      0,
    );
  }

  /** The variable's current value (a temporary). */
  readVariable(handle: number): number {
    return this.run(
      "ReadVariableOp",
      [handle],
      [this.attr("dtype", "type", this.binding.TF_FLOAT)],
    );
  }

  /** Fused Adam update of var, m and v in place (TensorFlow's ResourceApplyAdam). */
  applyAdam(
    variable: number,
    m: number,
    v: number,
    scalars: { beta1Power: number; beta2Power: number; lr: number; beta1: number; beta2: number },
    epsilon: number,
    grad: number,
  ): void {
    this.binding.executeOp(
      "ResourceApplyAdam",
      [this.t, this.attr("use_locking", "bool", false), this.attr("use_nesterov", "bool", false)],
      [
        variable,
        m,
        v,
        scalars.beta1Power,
        scalars.beta2Power,
        scalars.lr,
        scalars.beta1,
        scalars.beta2,
        epsilon,
        grad,
      ],
      0,
    );
  }

  destroyVariable(handle: number): void {
    this.binding.executeOp(
      "DestroyResourceOp",
      [this.attr("ignore_lookup_error", "bool", true)],
      [handle],
      0,
    );
    this.binding.deleteTensor(handle);
  }

  /** Free the constants (after the last step). */
  dispose(): void {
    this.release();
    for (const id of [...this.int32Constants.values(), ...this.scalarConstants.values()]) {
      this.binding.deleteTensor(id);
    }
    this.int32Constants.clear();
    this.scalarConstants.clear();
  }
}
