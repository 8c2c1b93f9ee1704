// Start the backend the suite runs on, once per test file, the way the library does: the native
// engine by default, AE_TEST_BACKEND=wasm (or cpu) for the fallback pass of scripts/test.sh.
import { initBackend, type BackendName } from "../../lib/backend/select";

export function testBackend(): BackendName {
  const name = (process.env.AE_TEST_BACKEND ?? "tensorflow").trim() as BackendName;
  if (!["tensorflow", "wasm", "cpu"].includes(name)) {
    throw new Error(`AE_TEST_BACKEND must be tensorflow, wasm or cpu, got "${name}"`);
  }
  return name;
}

export async function useTestBackend(): Promise<void> {
  const wanted = testBackend();
  const info = await initBackend(wanted);
  if (info.name !== wanted) throw new Error(`expected ${wanted}, got ${info.name}`);
}
