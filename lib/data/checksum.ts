/** SHA-256 checksums of buffers and files (hex, lower case). */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { ChecksumError } from "../errors";

/** SHA-256 of bytes in memory. */
export function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** SHA-256 of a file, streamed (constant memory, works for large archives). */
export async function sha256File(path: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

/**
 * Throw a ChecksumError when bytes read from `path` do not have the expected SHA-256.
 * `advice` says what to do (reinstall a package, delete and download again, ...).
 */
export function verifySha256(
  bytes: Uint8Array,
  expected: string,
  path: string,
  advice: string,
): void {
  const got = sha256(bytes);
  if (got !== expected.toLowerCase()) {
    throw new ChecksumError(
      `${path} has the wrong contents: expected SHA-256 ${expected}, got ${got} (${bytes.length.toLocaleString("en-US")} bytes). ${advice}`,
      path,
    );
  }
}
