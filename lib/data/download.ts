/**
 * Checksummed downloads. A file is written to `<dest>.part` and renamed to `dest` only after its
 * SHA-256 matches, so `dest` existing means it was verified. A `.part` left by an interrupted run
 * (or a connection cut mid-transfer) is resumed with an HTTP Range request when the server honours
 * it (206); otherwise the download restarts from zero. A checksum mismatch keeps the bytes as
 * `<dest>.bad` for inspection (never as something a later run would trust) and throws
 * ChecksumError; network failures throw DownloadError. Only node:http/https, no dependency.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { ChecksumError, DownloadError } from "../errors";
import { sha256File } from "./checksum";

/** Redirects followed before giving up. */
export const MAX_REDIRECTS = 5;
/** Attempts per download (the first try plus resumes after a cut connection). */
export const DEFAULT_ATTEMPTS = 4;
/** Abort a request when the socket is idle this long. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

export interface DownloadOptions {
  url: string;
  /** Final path; the data is written to `${dest}.part` first. */
  dest: string;
  /** Expected SHA-256 (hex) of the whole file. */
  sha256: string;
  /** Expected size in bytes, when known: a larger `.part` is discarded instead of resumed. */
  size?: number;
  /** Tries in total, including resumes after a cut connection. Default DEFAULT_ATTEMPTS. */
  attempts?: number;
  idleTimeoutMs?: number;
  /** Called as bytes arrive: bytes on disk so far and the total when the server says it. */
  onProgress?: (received: number, total: number | null) => void;
}

/** What happened during a download (for logs and tests). */
export interface DownloadReport {
  dest: string;
  bytes: number;
  /** HTTP requests made (redirects count). */
  requests: number;
  /** Bytes reused from an existing `.part` file or an earlier attempt (sum over resumes). */
  resumedBytes: number;
  /** Times the server ignored a Range request (or the .part was unusable) and we restarted. */
  restarts: number;
}

class RetryableError extends Error {}

/** Download `url` to `dest`, verified against `sha256`. See the module comment for guarantees. */
export async function downloadFile(options: DownloadOptions): Promise<DownloadReport> {
  const { url, dest } = options;
  const part = `${dest}.part`;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const report: DownloadReport = { dest, bytes: 0, requests: 0, resumedBytes: 0, restarts: 0 };
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  let lastError: unknown = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await fetchToPart(options, part, report);
      lastError = null;
      break;
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      lastError = error;
    }
  }
  if (lastError !== null) {
    const kept = fs.existsSync(part)
      ? ` ${sizeOf(part)} bytes are kept in ${part} and the next run resumes from there.`
      : "";
    throw new DownloadError(
      `Downloading ${url} failed after ${attempts} attempts: ${(lastError as Error).message}.${kept} ` +
        `Check the network connection, or put the file at ${dest} yourself.`,
      dest,
    );
  }
  const got = await sha256File(part);
  if (got !== options.sha256.toLowerCase()) {
    const bad = `${dest}.bad`;
    fs.renameSync(part, bad);
    throw new ChecksumError(
      `Download of ${url} has the wrong checksum: expected SHA-256 ${options.sha256}, got ${got} ` +
        `(${sizeOf(bad)} bytes). The file was not used and is kept as ${bad} for inspection; ` +
        `delete it and try again, and if it happens again the server is sending a different file ` +
        `than the one this project was written for.`,
      bad,
    );
  }
  fs.renameSync(part, dest);
  report.bytes = sizeOf(dest);
  return report;
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** One attempt: resume or start `.part`, stream the body into it. Retryable failures keep `.part`. */
async function fetchToPart(
  options: DownloadOptions,
  part: string,
  report: DownloadReport,
): Promise<void> {
  let have = sizeOf(part);
  if (options.size !== undefined && have > options.size) {
    fs.rmSync(part, { force: true });
    have = 0;
    report.restarts++;
  }
  if (options.size !== undefined && have === options.size) return; // complete; checksum decides
  const response = await request(options, have, report);
  const status = response.statusCode ?? 0;
  let append = false;
  if (have > 0 && status === 206) {
    const start = /^bytes (\d+)-/.exec(String(response.headers["content-range"] ?? ""));
    if (start && Number(start[1]) === have) {
      append = true;
      report.resumedBytes += have;
    } else {
      response.resume();
      fs.rmSync(part, { force: true });
      report.restarts++;
      throw new RetryableError(
        `server answered a range request with an unexpected range (${response.headers["content-range"]})`,
      );
    }
  } else if (have > 0 && status === 416) {
    // Our .part is at or past the end the server knows: start again from nothing.
    response.resume();
    fs.rmSync(part, { force: true });
    report.restarts++;
    throw new RetryableError("server rejected the resume range (416)");
  } else if (status === 200) {
    if (have > 0) report.restarts++;
  } else {
    response.resume();
    const error = `HTTP ${status} ${response.statusMessage ?? ""}`.trim();
    if (status >= 500 || status === 408 || status === 429) throw new RetryableError(error);
    throw new DownloadError(
      `Downloading ${options.url} failed: ${error}. Check the URL or put the file at ${options.dest} yourself.`,
      options.dest,
    );
  }
  const lengthHeader = Number(response.headers["content-length"]);
  const total = Number.isFinite(lengthHeader)
    ? (append ? have : 0) + lengthHeader
    : (options.size ?? null);
  // Each chunk is written as it arrives (no stream buffering), so when the connection drops,
  // everything received so far is on disk and the next attempt resumes right after it.
  let fd: number;
  try {
    fd = fs.openSync(part, append ? "a" : "w");
  } catch (error) {
    response.destroy();
    throw new DownloadError(`Cannot write ${part}: ${(error as Error).message}`, part);
  }
  let received = append ? have : 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null): void => {
        if (settled) return;
        settled = true;
        if (error) {
          response.destroy();
          reject(error);
        } else resolve();
      };
      response.on("data", (chunk: Buffer) => {
        if (settled) return;
        try {
          fs.writeSync(fd, chunk);
        } catch (error) {
          settle(new DownloadError(`Cannot write ${part}: ${(error as Error).message}`, part));
          return;
        }
        received += chunk.length;
        options.onProgress?.(received, total);
      });
      const lost = (why: string): void =>
        settle(new RetryableError(`connection lost after ${received} bytes (${why})`));
      response.on("aborted", () => lost("aborted"));
      response.on("error", (error) => lost(error.message));
      response.on("end", () => {
        if (!response.complete) lost("closed early");
        else if (Number.isFinite(lengthHeader) && received - (append ? have : 0) !== lengthHeader) {
          settle(new RetryableError(`got ${received} bytes, server announced ${total}`));
        } else settle(null);
      });
      response.on("close", () => {
        if (!response.complete) lost("closed early");
      });
    });
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** GET with an optional Range from byte `from`, following redirects. */
function request(
  options: DownloadOptions,
  from: number,
  report: DownloadReport,
): Promise<http.IncomingMessage> {
  const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const go = (url: string, redirects: number): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        reject(new DownloadError(`Cannot download from "${url}": not a valid URL.`, options.dest));
        return;
      }
      const client =
        parsed.protocol === "https:" ? https : parsed.protocol === "http:" ? http : null;
      if (client === null) {
        reject(
          new DownloadError(
            `Cannot download from "${url}": only http and https are supported.`,
            options.dest,
          ),
        );
        return;
      }
      report.requests++;
      const headers: Record<string, string> = { "user-agent": "mnist-autoencoder-lab" };
      if (from > 0) headers.range = `bytes=${from}-`;
      const req = client.get(parsed, { headers }, (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (status >= 300 && status < 400 && location) {
          response.resume();
          if (redirects >= MAX_REDIRECTS) {
            reject(
              new DownloadError(
                `Downloading ${options.url}: more than ${MAX_REDIRECTS} redirects.`,
                options.dest,
              ),
            );
          } else {
            go(new URL(location, url).toString(), redirects + 1).then(resolve, reject);
          }
          return;
        }
        response.setTimeout(idle, () => response.destroy(new Error(`no data for ${idle} ms`)));
        resolve(response);
      });
      req.setTimeout(idle, () => req.destroy(new Error(`no response for ${idle} ms`)));
      req.on("error", (error) => reject(new RetryableError(`${parsed.host}: ${error.message}`)));
    });
  return go(options.url, 0);
}
