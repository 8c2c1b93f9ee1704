/**
 * A minimal reader for (gzip-compressed) ustar archives, enough to unpack dataset archives such
 * as cifar-10-binary.tar.gz without a dependency. It only returns regular files, and the caller
 * picks members by name, so an archive cannot write outside the folder the caller chooses.
 */
import * as zlib from "node:zlib";
import { DatasetError } from "../errors";

/** Tar archives are sequences of 512-byte blocks. */
export const TAR_BLOCK_BYTES = 512;
const NAME_FIELD = [0, 100] as const;
const SIZE_FIELD = [124, 12] as const;
const TYPE_FLAG_OFFSET = 156;
const PREFIX_FIELD = [345, 155] as const;
const USTAR_MAGIC_OFFSET = 257;

export interface TarMember {
  name: string;
  data: Buffer;
}

function field(block: Buffer, [start, length]: readonly [number, number]): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

/** Regular files of a tar archive (gzip-compressed or not), in archive order. */
export function readTarMembers(archive: Buffer, path: string): TarMember[] {
  let bytes = archive;
  if (archive.length >= 2 && archive[0] === 0x1f && archive[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(archive);
    } catch (error) {
      throw new DatasetError(
        `${path} is a corrupt gzip stream (${(error as Error).message}). Delete it and download it again.`,
        path,
      );
    }
  }
  const members: TarMember[] = [];
  let offset = 0;
  let longName: string | null = null;
  while (offset + TAR_BLOCK_BYTES <= bytes.length) {
    const header = bytes.subarray(offset, offset + TAR_BLOCK_BYTES);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    const sizeText = field(header, SIZE_FIELD).trim();
    const size = parseInt(sizeText || "0", 8);
    if (!Number.isFinite(size) || size < 0) {
      throw new DatasetError(
        `${path} is not a valid tar archive: bad size field "${sizeText}" at byte ${offset}.`,
        path,
      );
    }
    const type = String.fromCharCode(header[TYPE_FLAG_OFFSET] || 0x30);
    const ustar =
      header.subarray(USTAR_MAGIC_OFFSET, USTAR_MAGIC_OFFSET + 5).toString("latin1") === "ustar";
    const prefix = ustar ? field(header, PREFIX_FIELD) : "";
    const name =
      longName ?? (prefix ? `${prefix}/${field(header, NAME_FIELD)}` : field(header, NAME_FIELD));
    const start = offset + TAR_BLOCK_BYTES;
    if (start + size > bytes.length) {
      throw new DatasetError(
        `${path} is truncated: member "${name}" needs ${size} bytes at byte ${start}, the archive has ${bytes.length}.`,
        path,
      );
    }
    const data = bytes.subarray(start, start + size);
    longName = null;
    if (type === "L") longName = data.toString("utf8").replace(/\0+$/, "");
    else if (type === "0" || type === "\0") members.push({ name, data });
    offset = start + Math.ceil(size / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES;
  }
  return members;
}

/** Build an uncompressed ustar archive (for tests). */
export function writeTar(members: readonly { name: string; data: Uint8Array }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { name, data } of members) {
    const header = Buffer.alloc(TAR_BLOCK_BYTES);
    header.write(name, 0, 100, "utf8");
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    header.write("00000000000\0", 136);
    header[TYPE_FLAG_OFFSET] = 0x30;
    header.write("ustar\0" + "00", USTAR_MAGIC_OFFSET, "latin1");
    header.write("        ", 148);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(header, Buffer.from(data));
    const pad = (TAR_BLOCK_BYTES - (data.length % TAR_BLOCK_BYTES)) % TAR_BLOCK_BYTES;
    if (pad > 0) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(2 * TAR_BLOCK_BYTES));
  return Buffer.concat(blocks);
}
