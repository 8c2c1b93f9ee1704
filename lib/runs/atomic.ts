/**
 * Crash-safe file writes. A reader (or a later run) sees either the old file or the complete new
 * one, never a half-written file: data goes to a temporary file in the same folder, is flushed to
 * disk, then renamed over the target (rename is atomic within a filesystem).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AutoencoderLabError } from "../errors";

/** A write failed (disk full, permissions…); the previous file, if any, is untouched. */
export class WriteError extends AutoencoderLabError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

let counter = 0;
function temporaryName(target: string): string {
  counter += 1;
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${counter}.tmp`);
}

function explainWriteFailure(target: string, error: NodeJS.ErrnoException): WriteError {
  const why =
    error.code === "ENOSPC"
      ? "the disk is full: free some space (old runs live in runs/) and try again"
      : error.code === "EACCES" || error.code === "EPERM"
        ? "permission denied: check the folder's owner and permissions"
        : error.code === "EROFS"
          ? "the filesystem is read-only"
          : error.message;
  return new WriteError(
    `Could not write ${target}: ${why}. The previous version of the file is unchanged.`,
    target,
  );
}

/** Write `data` to `target` atomically (the folder must exist). */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const temporary = temporaryName(target);
  try {
    const fd = fs.openSync(temporary, "w");
    try {
      fs.writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw explainWriteFailure(target, error as NodeJS.ErrnoException);
  }
}

/** Write a value as pretty JSON, atomically. */
export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Replace a whole folder atomically enough: `fill` writes into a fresh temporary folder, which
 * then takes the target's place. The old folder is renamed to `<target>.old` first and removed
 * last, so at every instant either `<target>` or `<target>.old` is complete (see
 * resolveCompleteFolder).
 */
export function replaceFolder(target: string, fill: (folder: string) => void): void {
  const temporary = `${target}.tmp-${process.pid}-${++counter}`;
  const old = `${target}.old`;
  fs.rmSync(temporary, { recursive: true, force: true });
  try {
    fs.mkdirSync(temporary, { recursive: true });
    fill(temporary);
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
    if (error instanceof AutoencoderLabError) throw error;
    throw explainWriteFailure(target, error as NodeJS.ErrnoException);
  }
  // A complete <target>.old left by a crash is stale once <target> exists.
  if (fs.existsSync(target)) {
    fs.rmSync(old, { recursive: true, force: true });
    fs.renameSync(target, old);
  }
  fs.renameSync(temporary, target);
  fs.rmSync(old, { recursive: true, force: true });
}

/** The complete version of a folder written by replaceFolder, or null if there is none. */
export function resolveCompleteFolder(target: string): string | null {
  if (fs.existsSync(target)) return target;
  if (fs.existsSync(`${target}.old`)) return `${target}.old`;
  return null;
}

/**
 * Read a folder that replaceFolder may swap at any moment (a checkpoint of a run that is still
 * training): `read` gets the complete version, and if that version was replaced while it was
 * being read (its inode changed, or a file vanished), the read starts again, so the result never
 * mixes two versions (`discard` frees a stale result). Resolves null when no complete version exists.
 */
export async function readCompleteFolder<T>(
  target: string,
  read: (folder: string) => Promise<T>,
  discard: (stale: T) => void = () => {},
  attempts = 20,
): Promise<T | null> {
  const inode = (folder: string) => {
    try {
      return fs.statSync(folder).ino;
    } catch {
      return -1;
    }
  };
  for (let attempt = 1; ; attempt++) {
    const folder = resolveCompleteFolder(target);
    if (!folder) return null;
    const before = inode(folder);
    try {
      const result = await read(folder);
      if (inode(folder) === before) return result;
      discard(result);
    } catch (error) {
      if (attempt >= attempts || inode(folder) === before) throw error;
    }
    if (attempt >= attempts) {
      throw new AutoencoderLabError(
        `${target} kept changing while it was read (${attempts} attempts): is a process rewriting it in a loop?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
  }
}

/** Read and parse a JSON file, with an error that names the file and the problem. */
export function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AutoencoderLabError(
      code === "ENOENT"
        ? `${what} is missing: ${file} does not exist.`
        : `Could not read ${what} at ${file}: ${(error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AutoencoderLabError(
      `${what} at ${file} is not valid JSON (${(error as Error).message}); the file is damaged.`,
    );
  }
}
