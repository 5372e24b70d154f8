/**
 * How many requests a fuzz suite generates and from which seed: fixed by default so a failure
 * reproduces, changed with FUZZ_SEED / FUZZ_RUNS (`npm run fuzz` sets the full sizes).
 */

/** The seed every suite uses unless FUZZ_SEED says otherwise. */
const DEFAULT_FUZZ_SEED = 20261121;

/**
 * @example
 *   const { runs, seed } = fuzzSettings({ runs: 1_000 }); // FUZZ_RUNS=5000 FUZZ_SEED=7 override
 */
export function fuzzSettings(
  defaults: { runs: number },
  env: NodeJS.ProcessEnv = process.env,
): { runs: number; seed: number } {
  return {
    runs: positiveInteger(env.FUZZ_RUNS, "FUZZ_RUNS") ?? defaults.runs,
    seed: integer(env.FUZZ_SEED, "FUZZ_SEED") ?? DEFAULT_FUZZ_SEED,
  };
}

function integer(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return value;
}

function positiveInteger(raw: string | undefined, name: string): number | undefined {
  const value = integer(raw, name);
  if (value !== undefined && value < 1) throw new Error(`${name} must be at least 1, got "${raw}"`);
  return value;
}
