// CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320), slicing-by-4 over bytes.

/** Slicing tables: table s·256 + n is the CRC of byte n followed by s zero bytes (s < slices). */
export function crcTables(slices: number): Uint32Array {
  const t = new Uint32Array(slices * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let s = 1; s < slices; s++) { c = t[c & 0xff] ^ (c >>> 8); t[s * 256 + n] = c >>> 0; }
  }
  return t;
}

const T = crcTables(4);

/** CRC-32 of `data`, continuing from `crc` (0 to start). */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  for (; i + 4 <= n; i += 4) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    c = T[768 + (c & 0xff)] ^ T[512 + ((c >>> 8) & 0xff)] ^ T[256 + ((c >>> 16) & 0xff)] ^ T[c >>> 24];
  }
  for (; i < n; i++) c = T[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
