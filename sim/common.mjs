// Shared helpers for the callnorm provider simulator: time window, time
// formats, phone numbers, agents, the normalized-record skeleton.

import { Rng, hash32, mix32 } from './rng.mjs';

export const WIN_START = Date.UTC(2026, 0, 1); // 2026-01-01T00:00:00Z
export const WIN_END = Date.UTC(2026, 5, 30); // 2026-06-30T00:00:00Z
export const DAY = 86400000;
const WIN_SECONDS = (WIN_END - WIN_START - DAY) / 1000; // starts leave one day of room for ends

// Instants shared by every provider and every seed: every 7th generated call
// (index % 7 == 6) starts at one of them, so merges see cross-provider ties.
export const SHARED_INSTANTS = [
  '2026-01-15T09:00:00Z',
  '2026-02-14T12:30:00Z',
  '2026-03-01T00:00:00Z',
  '2026-03-31T23:59:59Z',
  '2026-04-20T15:45:30Z',
  '2026-05-10T06:00:00Z',
  '2026-06-01T18:20:00Z',
  '2026-06-15T10:10:10Z',
].map((s) => Date.parse(s));

// Normalized start instant for generated call i (ms since epoch).
export function drawStart(rng, i, prevT, wholeSeconds) {
  const sec = rng.int(WIN_SECONDS);
  const ms = wholeSeconds ? 0 : rng.int(1000);
  if (i % 7 === 6) return SHARED_INSTANTS[Math.floor(i / 7) % SHARED_INSTANTS.length];
  if (i % 11 === 10 && prevT !== null) return prevT; // same instant as the previous generated call
  return WIN_START + sec * 1000 + ms;
}

export function isoMs(ms) {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

// "2026-03-04T12:34:56Z" (whole seconds).
export function isoSec(ms) {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

// Python/pydantic style: "...:56Z" when the millisecond part is zero,
// otherwise microseconds "...:56.789000Z".
export function isoPy(ms) {
  if (ms === null || ms === undefined) return null;
  const s = new Date(ms).toISOString();
  const frac = ms % 1000;
  return frac === 0 ? s.slice(0, 19) + 'Z' : s.slice(0, 23) + '000Z';
}

const IST_OFFSET = 330 * 60000;
// "2026-06-12T09:30:00+05:30" (whole seconds, India Standard Time).
export function isoIST(ms) {
  if (ms === null || ms === undefined) return null;
  return new Date(ms + IST_OFFSET).toISOString().slice(0, 19) + '+05:30';
}
export { IST_OFFSET };

// Parse an ISO 8601 date or date-time. Returns ms (may carry a fraction of a
// millisecond) or NaN. A value without a zone uses `defaultOffsetMin`.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|z|[+-]\d{2}:?\d{2})?$/;
export function parseIso(str, defaultOffsetMin = 0) {
  if (typeof str !== 'string') return NaN;
  const m = ISO_RE.exec(str);
  if (!m) return NaN;
  const [, Y, Mo, D, h = '00', mi = '00', s = '00', frac, zone] = m;
  const y = +Y;
  const mo = +Mo;
  const d = +D;
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || +h > 23 || +mi > 59 || +s > 59) return NaN;
  if (zone !== undefined && m[4] === undefined) return NaN; // a zone on a bare date
  let off = defaultOffsetMin;
  if (zone !== undefined) {
    if (zone === 'Z' || zone === 'z') off = 0;
    else {
      const z = zone.replace(':', '');
      const zh = +z.slice(1, 3);
      const zm = +z.slice(3, 5);
      if (zh > 23 || zm > 59) return NaN;
      off = (z[0] === '-' ? -1 : 1) * (zh * 60 + zm);
    }
  }
  let ms = Date.UTC(y, mo - 1, d, +h, +mi, +s);
  if (frac) ms += Number('0.' + frac) * 1000;
  return ms - off * 60000;
}

export function isDateOnly(str) {
  return typeof str === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(str);
}

export function daysIn(y, m) {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

// Strict YYYY-MM-DD → ms of 00:00 UTC that day, or NaN.
export function parseYmd(str) {
  if (!isDateOnly(str)) return NaN;
  const y = +str.slice(0, 4);
  const m = +str.slice(5, 7);
  const d = +str.slice(8, 10);
  if (m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) return NaN;
  return Date.UTC(y, m - 1, d);
}

// ---------- phone numbers ----------

const US_AREAS = ['212', '310', '415', '512', '617', '646', '702', '718', '805', '917', '206', '303'];
export function usNumber(rng) {
  return '+1' + rng.pick(US_AREAS) + '555' + '01' + rng.digits(2);
}
export function ukNumber(rng) {
  return '+447700900' + rng.digits(3);
}
export function inNumber(rng) {
  return '+91' + rng.pick(['98', '97', '99', '88', '70']) + rng.digits(8);
}
export function formatPhone(e164) {
  if (e164.startsWith('+1') && e164.length === 12) {
    return '(' + e164.slice(2, 5) + ') ' + e164.slice(5, 8) + '-' + e164.slice(8);
  }
  if (e164.startsWith('+44')) return '+44 ' + e164.slice(3, 7) + ' ' + e164.slice(7);
  if (e164.startsWith('+91')) return '+91 ' + e164.slice(3, 8) + ' ' + e164.slice(8);
  return e164;
}

// ---------- agents ----------

const AGENT_NAMES = [
  ['Support', 'Tier 1 support'],
  ['Appointment Reminder', 'Reminders'],
  ['Sales Outreach', 'Outbound sales'],
  ['Billing Helper', 'Billing'],
  ['Receptionist', 'Front desk'],
];

// 3–5 agents per provider; ids depend only on the provider name (not on the
// seed), so configurations and tests can name them.
export function makeAgents(name, idFn) {
  const rng = new Rng(hash32('agents|' + name));
  const n = 3 + (hash32('agent-count|' + name) % 3);
  const out = [];
  for (let k = 0; k < n; k++) {
    const [nm, label] = AGENT_NAMES[k];
    out.push({ id: idFn(rng, k), name: nm, label });
  }
  return out;
}

export function providerSeed(seed, name) {
  return mix32(hash32(String(seed)), hash32(name));
}

// ---------- normalized record skeleton (the record's key order) ----------

export function expectedRecord(ctx, nid) {
  return {
    id: ctx.name + ':' + nid,
    provider: ctx.name,
    provider_kind: ctx.kind,
    native_id: nid,
    type: null,
    direction: null,
    status: null,
    end_reason: null,
    provider_status: null,
    from: null,
    to: null,
    agent: { id: null, name: null, version: null },
    started_at: null,
    ended_at: null,
    duration_ms: null,
    is_test: null,
    campaign_id: null,
    tags: [],
    metadata: {},
    _transcript: null,
  };
}

export function cmpStr(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Order-preserving key for nullable times: null sorts as the earliest instant.
export function tkey(t) {
  return t === null || t === undefined ? -Infinity : t;
}

// Ascending comparator on (time, id) with null time first.
export function cmpTimeId(a, b) {
  const x = tkey(a.t);
  const y = tkey(b.t);
  if (x !== y) return x < y ? -1 : 1;
  return cmpStr(a.nid, b.nid);
}

export function isInt(v) {
  return typeof v === 'number' && Number.isInteger(v);
}

// First index i with cmp(arr[i], key) >= 0.
export function lowerBound(arr, key, cmp) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(arr[mid], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// First index i with cmp(arr[i], key) > 0.
export function upperBound(arr, key, cmp) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(arr[mid], key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Normalize a provider enum value for case-insensitive, '-'=='_' lookups.
export function normEnum(v) {
  return typeof v === 'string' ? v.toLowerCase().replace(/-/g, '_') : v;
}

export function bearerOk(headers, expected) {
  const h = headers['authorization'];
  if (typeof h !== 'string') return false;
  const m = /^bearer\s+(.+)$/i.exec(h.trim());
  return !!m && m[1] === expected;
}

export function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// Parse a JSON request body: undefined/blank -> {} ; returns {ok, value}.
export function parseJsonBody(text) {
  if (text === undefined || text === null || text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: null };
  }
}
