// Public API of lib/latent: re-exports only (one line per module).
export {};
