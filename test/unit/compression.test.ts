import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { PNG } from "pngjs";
import {
  CompressionError,
  fromFloat16Bits,
  gzipSize,
  loadCodes,
  losslessSizes,
  pngSize,
  storeCodes,
  toFloat16Bits,
  toGray8,
} from "../../lib/apps/compression";
import { createRng } from "../../lib/random";

test("float16 bits: exact values, rounding to nearest even, subnormals, overflow, NaN", () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest half
    [65520, 0x7c00], // rounds up to Infinity
    [1e6, 0x7c00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // underflows to zero
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd below: rounds up to even
    [Infinity, 0x7c00],
  ];
  for (const [value, bits] of cases) {
    assert.equal(toFloat16Bits(value), bits, `toFloat16Bits(${value})`);
  }
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN))));
  for (let bits = 0; bits < 0x7c00; bits += 37) {
    assert.equal(
      toFloat16Bits(fromFloat16Bits(bits)),
      bits,
      `round trip of 0x${bits.toString(16)}`,
    );
  }
});

test("storeCodes / loadCodes: byte counts and round-trip error per format", () => {
  const rng = createRng(7);
  const count = 50;
  const dim = 8;
  const codes = Float32Array.from({ length: count * dim }, () => rng.normal() * 3);
  const f32 = storeCodes(codes, dim, "float32");
  assert.equal(f32.bytes.length, count * dim * 4);
  assert.equal(f32.bytesPerImage, 32);
  assert.deepEqual(loadCodes(f32), codes);

  const f16 = storeCodes(codes, dim, "float16");
  assert.equal(f16.bytesPerImage, 16);
  const back16 = loadCodes(f16);
  for (let i = 0; i < codes.length; i++) {
    assert.ok(Math.abs(back16[i] - codes[i]) <= Math.abs(codes[i]) * 2 ** -11 + 1e-7);
  }

  const u8 = storeCodes(codes, dim, "uint8");
  assert.equal(u8.bytes.length, count * dim);
  assert.equal(u8.sideBytes.length, dim * 8); // float32 minimum and step per dimension
  assert.equal(u8.bytesPerImage, dim + (dim * 8) / count);
  const back8 = loadCodes(u8);
  for (let d = 0; d < dim; d++) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = d; i < codes.length; i += dim) {
      min = Math.min(min, codes[i]);
      max = Math.max(max, codes[i]);
    }
    const step = (max - min) / 255;
    for (let i = d; i < codes.length; i += dim) {
      assert.ok(Math.abs(back8[i] - codes[i]) <= step / 2 + 1e-5, `dim ${d}`);
    }
  }
  // A constant dimension survives uint8 exactly.
  const constant = new Float32Array(4 * 2).fill(1.25);
  assert.deepEqual(loadCodes(storeCodes(constant, 2, "uint8")), constant);
});

test("storeCodes rejects ragged, empty and non-finite codes, and unknown formats", () => {
  assert.throws(() => storeCodes(new Float32Array(10), 3, "float32"), CompressionError);
  assert.throws(() => storeCodes(new Float32Array(0), 3, "float32"), /whole images/);
  assert.throws(() => storeCodes(Float32Array.of(1, NaN), 2, "uint8"), /only finite codes/);
  assert.throws(() => storeCodes(new Float32Array(4), 0, "uint8"), /positive integer/);
  assert.throws(
    () => storeCodes(new Float32Array(4), 2, "int4" as never),
    /use one of float32, float16, uint8/,
  );
});

test("PNG and gzip sizes are the lengths of real, decodable files", () => {
  const image = new Float32Array(28 * 28);
  for (let y = 8; y < 20; y++) for (let x = 12; x < 16; x++) image[y * 28 + x] = 1; // a "1"
  const size = pngSize(image, 28, 28);
  const png = PNG.sync.write(
    Object.assign(new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0 }), {
      data: Buffer.from(toGray8(image)),
    }),
    { colorType: 0, inputColorType: 0, deflateLevel: 9 },
  );
  const decoded = PNG.sync.read(png);
  assert.equal(decoded.width, 28);
  assert.equal(decoded.data[(10 * 28 + 13) * 4], 255); // gray expanded to RGBA on read
  assert.ok(size > 60 && size <= png.length, `png ${size} bytes`);
  const gz = gzipSize(image);
  assert.deepEqual(
    zlib.gunzipSync(zlib.gzipSync(toGray8(image), { level: 9 })),
    Buffer.from(toGray8(image)),
  );
  assert.ok(gz > 18 && gz < 784, `gzip ${gz} bytes`);
  const sizes = losslessSizes(Float32Array.of(...image, ...image), 28, 28);
  assert.deepEqual(sizes, { raw: 784, png: size, gzip: gz });
  assert.throws(() => pngSize(image, 27, 28), /not 27×28/);
  assert.throws(() => losslessSizes(new Float32Array(5), 28, 28), CompressionError);
});
