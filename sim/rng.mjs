// Deterministic pseudo-random helpers for the callnorm provider simulator.
// mulberry32 generator, FNV-1a string hashing and a 32-bit mixer.

export function hash32(str) {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h >>> 0, 0x5bd1e995);
}

export function mix32(a, b) {
  let h = Math.imul((a ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ (b >>> 0);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

const BUF = Buffer.alloc(64);
const UUID_RE = /^(.{8})(.{4})(.{4})(.{4})(.{12})$/;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export class Rng {
  constructor(seed) {
    this.s = seed >>> 0;
  }
  u32() {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  next() {
    return this.u32() / 4294967296;
  }
  int(n) {
    return Math.floor(this.next() * n);
  }
  range(lo, hi) {
    // inclusive both ends
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p) {
    return this.next() < p;
  }
  pick(arr) {
    return arr[Math.floor(this.next() * arr.length)];
  }
  weighted(table) {
    // table: [[weight, value], ...]
    let total = 0;
    for (const [w] of table) total += w;
    let x = this.next() * total;
    for (const [w, v] of table) {
      if ((x -= w) < 0) return v;
    }
    return table[table.length - 1][1];
  }
  // n random bytes as a flat lowercase hex string of 2n characters
  hexBytes(n, first) {
    for (let k = 0; k < n; k += 4) BUF.writeUInt32LE(this.u32(), k);
    if (first !== undefined) BUF.writeUInt32BE(first >>> 0, 0);
    return BUF.toString('hex', 0, n);
  }
  hex(n) {
    const s = this.hexBytes((n + 1) >> 1);
    return n & 1 ? s.slice(0, n) : s;
  }
  digits(n) {
    let s = '';
    for (let k = 0; k < n; k++) s += String.fromCharCode(48 + this.int(10));
    return s;
  }
  b64(n) {
    let s = '';
    for (let k = 0; k < n; k++) s += B64URL[this.u32() & 63];
    return s;
  }
  uuid() {
    for (let k = 0; k < 16; k += 4) BUF.writeUInt32LE(this.u32(), k);
    BUF[6] = (BUF[6] & 0x0f) | 0x40;
    BUF[8] = (BUF[8] & 0x3f) | 0x80;
    return BUF.toString('hex', 0, 16).replace(UUID_RE, '$1-$2-$3-$4-$5');
  }
}
