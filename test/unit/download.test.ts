// Downloads against a local HTTP server on 127.0.0.1 started here; no other host is contacted.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { ChecksumError, DownloadError } from "../../lib/errors";
import { downloadFile } from "../../lib/data";

/** How the test server behaves for the next requests. */
interface ServerMode {
  /** Honour Range requests with 206. */
  ranges: boolean;
  /** Cut the connection after this many body bytes on the first `cutTimes` requests. */
  cutAfter: number | null;
  cutTimes: number;
  /** Reset the socket instead of closing it (bytes in flight may be lost). */
  cutHard: boolean;
  /** Serve this instead of the payload (checksum test). */
  override: Buffer | null;
  status: number;
}

const payload = crypto.randomBytes(200_000);
const payloadSha = crypto.createHash("sha256").update(payload).digest("hex");
let server: http.Server;
let base = "";
let tmp = "";
let mode: ServerMode;
const seen: Array<{ url: string; range: string | undefined }> = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-download-test-"));
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? "", range: req.headers.range });
    if (req.url === "/redirect") {
      res.writeHead(302, { location: "/file" });
      res.end();
      return;
    }
    if (mode.status !== 200) {
      res.writeHead(mode.status);
      res.end("nope");
      return;
    }
    const body = mode.override ?? payload;
    let start = 0;
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (mode.ranges && match) {
      start = Number(match[1]);
      if (start >= body.length) {
        res.writeHead(416, { "content-range": `bytes */${body.length}` });
        res.end();
        return;
      }
      res.writeHead(206, {
        "content-length": body.length - start,
        "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
      });
    } else {
      res.writeHead(200, { "content-length": body.length });
    }
    const rest = body.subarray(start);
    if (mode.cutAfter !== null && mode.cutTimes > 0) {
      mode.cutTimes--;
      const hard = mode.cutHard;
      res.write(rest.subarray(0, mode.cutAfter), () =>
        hard ? res.socket?.resetAndDestroy() : res.socket?.end(),
      );
      return;
    }
    res.end(rest);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  mode = { ranges: true, cutAfter: null, cutTimes: 0, cutHard: false, override: null, status: 200 };
  seen.length = 0;
});

let counter = 0;
function dest(): string {
  return path.join(tmp, `sub-${++counter}`, "file.bin");
}

describe("downloadFile", () => {
  it("downloads, verifies and renames; no .part is left", async () => {
    const file = dest();
    const progress: number[] = [];
    const report = await downloadFile({
      url: `${base}/file`,
      dest: file,
      sha256: payloadSha,
      onProgress: (received) => progress.push(received),
    });
    assert.ok(fs.readFileSync(file).equals(payload));
    assert.equal(fs.existsSync(`${file}.part`), false);
    assert.equal(report.bytes, payload.length);
    assert.equal(report.requests, 1);
    assert.equal(progress[progress.length - 1], payload.length);
    assert.equal(seen[0].range, undefined);
  });

  it("follows redirects", async () => {
    const file = dest();
    await downloadFile({ url: `${base}/redirect`, dest: file, sha256: payloadSha });
    assert.ok(fs.readFileSync(file).equals(payload));
    assert.deepEqual(
      seen.map((s) => s.url),
      ["/redirect", "/file"],
    );
  });

  it("resumes with a Range request after the connection is cut", async () => {
    mode.cutAfter = 70_000;
    mode.cutTimes = 1;
    const file = dest();
    const report = await downloadFile({
      url: `${base}/file`,
      dest: file,
      sha256: payloadSha,
      size: payload.length,
    });
    assert.ok(fs.readFileSync(file).equals(payload));
    assert.equal(seen.length, 2);
    assert.equal(seen[0].range, undefined);
    assert.equal(seen[1].range, "bytes=70000-");
    assert.equal(report.resumedBytes, 70_000);
    assert.equal(report.restarts, 0);
  });

  it("resumes from the bytes on disk after a connection reset", async () => {
    mode.cutAfter = 150_000;
    mode.cutTimes = 1;
    mode.cutHard = true;
    const file = dest();
    const report = await downloadFile({ url: `${base}/file`, dest: file, sha256: payloadSha });
    assert.ok(fs.readFileSync(file).equals(payload));
    assert.equal(seen.length, 2);
    assert.match(seen[1].range ?? "", /^bytes=\d+-$/);
    assert.ok(report.resumedBytes > 0);
  });

  it("resumes a .part left by an earlier run", async () => {
    const file = dest();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.part`, payload.subarray(0, 123_456));
    const report = await downloadFile({ url: `${base}/file`, dest: file, sha256: payloadSha });
    assert.ok(fs.readFileSync(file).equals(payload));
    assert.deepEqual(
      seen.map((s) => s.range),
      ["bytes=123456-"],
    );
    assert.equal(report.resumedBytes, 123_456);
  });

  it("restarts from zero when the server ignores Range", async () => {
    mode.ranges = false;
    const file = dest();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.part`, Buffer.from("stale bytes that must not be kept"));
    const report = await downloadFile({ url: `${base}/file`, dest: file, sha256: payloadSha });
    assert.ok(fs.readFileSync(file).equals(payload));
    assert.equal(report.restarts, 1);
    assert.equal(report.resumedBytes, 0);
  });

  it("restarts when a .part is larger than the expected size", async () => {
    const file = dest();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.part`, Buffer.alloc(payload.length + 10));
    await downloadFile({
      url: `${base}/file`,
      dest: file,
      sha256: payloadSha,
      size: payload.length,
    });
    assert.ok(fs.readFileSync(file).equals(payload));
    assert.equal(seen[0].range, undefined);
  });

  it("a checksum mismatch is a ChecksumError; the bytes are kept as .bad, never as the file", async () => {
    mode.override = Buffer.from("this is not the file you are looking for");
    const file = dest();
    await assert.rejects(
      downloadFile({ url: `${base}/file`, dest: file, sha256: payloadSha }),
      (error: unknown) => {
        assert.ok(error instanceof ChecksumError);
        assert.match(error.message, new RegExp(`expected SHA-256 ${payloadSha}, got [0-9a-f]{64}`));
        assert.match(error.message, /kept as .*file\.bin\.bad/);
        assert.equal(error.path, `${file}.bad`);
        return true;
      },
    );
    assert.equal(fs.existsSync(file), false);
    assert.equal(fs.existsSync(`${file}.part`), false);
    assert.ok(fs.readFileSync(`${file}.bad`).equals(mode.override));
  });

  it("a resumed .part with the wrong bytes also fails the checksum and is not trusted", async () => {
    const file = dest();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.part`, Buffer.alloc(1000, 7)); // corrupt prefix
    await assert.rejects(
      downloadFile({ url: `${base}/file`, dest: file, sha256: payloadSha }),
      ChecksumError,
    );
    assert.equal(fs.existsSync(file), false);
    assert.equal(fs.existsSync(`${file}.part`), false);
  });

  it("an HTTP 404 is a DownloadError naming the URL", async () => {
    mode.status = 404;
    const file = dest();
    await assert.rejects(
      downloadFile({ url: `${base}/missing`, dest: file, sha256: payloadSha }),
      (error: unknown) => {
        assert.ok(error instanceof DownloadError);
        assert.match(error.message, /\/missing failed: HTTP 404/);
        return true;
      },
    );
    assert.equal(fs.existsSync(file), false);
  });

  it("gives up after the attempts with a DownloadError and keeps the .part for the next run", async () => {
    mode.cutAfter = 50_000;
    mode.cutTimes = 100;
    mode.ranges = false;
    const file = dest();
    await assert.rejects(
      downloadFile({ url: `${base}/file`, dest: file, sha256: payloadSha, attempts: 2 }),
      (error: unknown) => {
        assert.ok(error instanceof DownloadError);
        assert.match(error.message, /failed after 2 attempts/);
        assert.match(error.message, /next run resumes/);
        return true;
      },
    );
    assert.equal(fs.existsSync(file), false);
    assert.equal(fs.statSync(`${file}.part`).size, 50_000);
  });

  it("a refused connection is a DownloadError", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      downloadFile({
        url: `http://127.0.0.1:${port}/x`,
        dest: dest(),
        sha256: payloadSha,
        attempts: 1,
      }),
      DownloadError,
    );
  });
});
