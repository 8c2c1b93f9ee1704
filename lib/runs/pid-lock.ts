/**
 * A lock file holding the owner's process id, created exclusively. A lock whose process is gone
 * (killed, crashed) is stale and taken over; one whose process lives means "in use". Run folders
 * and sweep folders both guard their writers with it.
 */
import * as fs from "node:fs";

/** True when process `pid` exists (EPERM: it exists but belongs to another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface PidLockErrors {
  /** The error to throw when a live process `pid` holds the lock. */
  inUse(pid: number): Error;
  /** The error to throw when the lock keeps reappearing between takeover and retry. */
  contended(): Error;
}

/** Create `lock` holding this process's id; returns a function that removes it. */
export function takePidLock(lock: string, errors: PidLockErrors): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      return () => fs.rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(fs.readFileSync(lock, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw errors.inUse(pid);
      fs.rmSync(lock, { force: true }); // stale: its process is gone
    }
  }
  throw errors.contended();
}
