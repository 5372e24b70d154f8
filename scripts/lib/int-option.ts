/**
 * Reads a whole-number command-line option within bounds, failing with a message that names the
 * flag, the range and what was given.
 *
 * @example
 *   intOption("rounds", "10", 2, 100) // 10
 *   intOption("rounds", "1", 2, 100)  // throws: --rounds must be an integer from 2 to 100, got "1"
 */
export function intOption(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
