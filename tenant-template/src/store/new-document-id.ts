/**
 * A new document id: a UUIDv7 (RFC 9562), 48 bits of Unix milliseconds then random bits. Ids
 * sort roughly by creation time, so lists ordered by id (the store's stable order) read oldest
 * first, and new rows land at the right of the primary key b-tree instead of splitting pages
 * at random. Within one millisecond the order is random (Workers also freeze the clock between
 * I/O), which is fine: the order is total and stable, which is what cursors need.
 *
 * @example
 *   newDocumentId(); // "01964f5e-3c2a-7b1e-9f4d-2a6c8e0b1d37"
 */
export function newDocumentId(now: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
