/** Test helper: run a check once per available backend. */
import { availableBackends, getBackend, setBackend } from '../../src/engine/index.js';

/** Runs fn once per available backend (restoring the current one afterwards). */
export function eachBackend(fn: (name: string) => void): void {
  const prev = getBackend().name;
  try {
    for (const name of availableBackends()) {
      setBackend(name as 'native' | 'wasm');
      fn(name);
    }
  } finally {
    setBackend(prev as 'native' | 'wasm');
  }
}
