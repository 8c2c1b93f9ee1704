// Public API of lib/render: re-exports only (one line per module).
export {};
