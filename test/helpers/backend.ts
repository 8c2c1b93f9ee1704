// Start the wasm backend once per test file, the way the library does (fast path + conv gradient).
import { initBackend } from "../../lib/backend/select";

export async function useWasm(): Promise<void> {
  const info = await initBackend("wasm");
  if (info.name !== "wasm") throw new Error(`expected wasm, got ${info.name}`);
}
