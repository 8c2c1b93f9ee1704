/**
 * Float64 linear algebra on the native TensorFlow engine, for the analysis code that must stay
 * exact (PCA's covariance and eigendecomposition). tfjs has no float64 tensors and tfjs-node's
 * binding only moves float32/int32/int64 data, so doubles cross the binding as int64 bit
 * patterns and TensorFlow's Bitcast op reinterprets them on the other side (no rounding either
 * way). MatMul on doubles and SelfAdjointEigV2 (Eigen's solver) then run multi-threaded in
 * TensorFlow: a 10,000 × 784 covariance plus its eigendecomposition take a fraction of a second
 * against about 3 s in JavaScript.
 */
import type { Float64Accelerator, PairwiseDots } from "../../ml/accelerator";
import type { NativeTensorInfo, OpAttr, TensorFlowBinding } from "./binding";

/** TF_DataType of float64 (the binding exports no constant for it: TensorFlow's c_api.h value). */
const TF_DOUBLE = 2;
/** Rows per MatMul when forming XᵀX: 16,384 × 784 doubles is about 100 MB per chunk. */
const ROW_CHUNK = 16384;

/** Native float64 helpers over one binding; every tensor made is deleted before returning. */
export class Float64Ops implements Float64Accelerator {
  private made: number[] = [];

  constructor(private readonly binding: TensorFlowBinding) {}

  private attr(name: string, type: number, value: unknown): OpAttr {
    return { name, type, value };
  }

  private op(name: string, inputs: number[], attrs: OpAttr[], outputs = 1): NativeTensorInfo[] {
    const out = this.binding.executeOp(name, attrs, inputs, outputs);
    for (const o of out) this.made.push(o.id);
    return out;
  }

  private typeAttr(name: string, dtype: number): OpAttr {
    return this.attr(name, this.binding.TF_ATTR_TYPE, dtype);
  }

  private cleanup(): void {
    for (const id of this.made) this.binding.deleteTensor(id);
    this.made = [];
  }

  /** A float64 tensor of `values` (the bits travel as int64 and are reinterpreted, not rounded). */
  private doubles(shape: number[], values: Float64Array): number {
    const bits = this.binding.createTensor(
      shape,
      this.binding.TF_INT64,
      new Int32Array(values.buffer, values.byteOffset, values.length * 2),
    );
    this.made.push(bits);
    return this.op(
      "Bitcast",
      [bits],
      [this.typeAttr("T", this.binding.TF_INT64), this.typeAttr("type", TF_DOUBLE)],
    )[0].id;
  }

  /** A float32 tensor cast to float64 (exact). */
  private toDouble(x: number): number {
    return this.op(
      "Cast",
      [x],
      [
        this.typeAttr("SrcT", this.binding.TF_FLOAT),
        this.typeAttr("DstT", TF_DOUBLE),
        this.attr("Truncate", this.binding.TF_ATTR_BOOL, false),
      ],
    )[0].id;
  }

  /** The values of a float64 tensor. */
  private readDoubles(id: number): Float64Array {
    const bits = this.op(
      "Bitcast",
      [id],
      [this.typeAttr("T", TF_DOUBLE), this.typeAttr("type", this.binding.TF_INT64)],
    )[0].id;
    const data = this.binding.tensorDataSync(bits) as unknown as BigInt64Array;
    return new Float64Array(data.buffer, data.byteOffset, data.length);
  }

  /**
   * Σᵢ (xᵢ − mean)(xᵢ − mean)ᵀ over the n rows of `points` (n × dim, row-major float32), in
   * float64: the unnormalised covariance, dim × dim row-major.
   */
  centredGram(points: Float32Array, n: number, dim: number, mean: Float64Array): Float64Array {
    try {
      const b = this.binding;
      const meanId = this.doubles([dim], mean);
      let sum: number | null = null;
      for (let r0 = 0; r0 < n; r0 += ROW_CHUNK) {
        const rows = Math.min(ROW_CHUNK, n - r0);
        const x = b.createTensor(
          [rows, dim],
          b.TF_FLOAT,
          points.subarray(r0 * dim, (r0 + rows) * dim),
        );
        this.made.push(x);
        const xd = this.toDouble(x);
        const centred = this.op("Sub", [xd, meanId], [this.typeAttr("T", TF_DOUBLE)])[0].id;
        const gram = this.op(
          "MatMul",
          [centred, centred],
          [
            this.typeAttr("T", TF_DOUBLE),
            this.attr("transpose_a", b.TF_ATTR_BOOL, true),
            this.attr("transpose_b", b.TF_ATTR_BOOL, false),
          ],
        )[0].id;
        sum =
          sum === null ? gram : this.op("Add", [sum, gram], [this.typeAttr("T", TF_DOUBLE)])[0].id;
      }
      return sum === null ? new Float64Array(dim * dim) : this.readDoubles(sum).slice();
    } finally {
      this.cleanup();
    }
  }

  /**
   * Eigenvalues (descending) and unit eigenvectors (rows, in the same order) of the symmetric
   * d × d row-major matrix, by TensorFlow's SelfAdjointEigV2.
   */
  symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
    try {
      const [valuesInfo, vectorsInfo] = this.op(
        "SelfAdjointEigV2",
        [this.doubles([d, d], matrix)],
        [this.typeAttr("T", TF_DOUBLE), this.attr("compute_v", this.binding.TF_ATTR_BOOL, true)],
        2,
      );
      const ascending = this.readDoubles(valuesInfo.id);
      // Column j of `columns` is the eigenvector of ascending[j].
      const columns = this.readDoubles(vectorsInfo.id);
      const values = new Float64Array(d);
      const vectors = new Float64Array(d * d);
      for (let r = 0; r < d; r++) {
        const j = d - 1 - r;
        values[r] = ascending[j];
        for (let t = 0; t < d; t++) vectors[r * d + t] = columns[t * d + j];
      }
      return { values, vectors };
    } finally {
      this.cleanup();
    }
  }

  /**
   * Dot products of row blocks against the rows after them, for all-pairs loops: the n × dim
   * float32 points go to TensorFlow once (as float64), then each call returns rows i0..i1 times
   * rows j0..n as an (i1 − i0) × (n − j0) row-major float64 matrix. Dispose when done.
   */
  pairwiseDots(points: Float32Array, n: number, dim: number): PairwiseDots {
    const b = this.binding;
    const x = b.createTensor([n, dim], b.TF_FLOAT, points);
    this.made.push(x);
    const all = this.toDouble(x);
    const kept = this.made;
    this.made = [];
    const int32 = (values: number[]) => {
      const id = b.createTensor([values.length], b.TF_INT32, Int32Array.from(values));
      this.made.push(id);
      return id;
    };
    const rows = (start: number, count: number) =>
      this.op(
        "Slice",
        [all, int32([start, 0]), int32([count, dim])],
        [this.typeAttr("T", TF_DOUBLE), this.typeAttr("Index", b.TF_INT32)],
      )[0].id;
    return {
      block: (i0, i1, j0) => {
        try {
          const product = this.op(
            "MatMul",
            [rows(i0, i1 - i0), rows(j0, n - j0)],
            [
              this.typeAttr("T", TF_DOUBLE),
              this.attr("transpose_a", b.TF_ATTR_BOOL, false),
              this.attr("transpose_b", b.TF_ATTR_BOOL, true),
            ],
          )[0].id;
          return this.readDoubles(product).slice();
        } finally {
          this.cleanup();
        }
      },
      dispose: () => {
        for (const id of kept) b.deleteTensor(id);
        kept.length = 0;
      },
    };
  }
}
