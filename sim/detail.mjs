// One call in full (GET /calls/{id} upstream): what the seed kinds' get-call
// endpoints add to the list's data, generated from a per-call seed like the
// conversation text: turn timings, summaries, recording URLs, costs. Every
// number is generated as an integer first, so the expected normalized value
// is integer arithmetic on the simulator's side, never the C code's.

import { Rng, hash32 } from './rng.mjs';
import { makeMessages } from './text.mjs';

// Turn k's start in tenths of a millisecond from the call's start: sorted,
// spread over the talk time, with sub-millisecond parts (half-up rounding
// gets exercised: a value ending in 5 rounds up).
export function turnTimes(seed, count, talkMs) {
  const rng = new Rng(seed ^ 0x71e5);
  const span = Math.max(talkMs || 60000, 1000 * count) * 10;
  const out = [];
  let u = rng.int(8000); // the first turn within 0.8 s
  for (let k = 0; k < count; k++) {
    out.push(u);
    u += 1 + rng.int(Math.floor((span * 0.9) / Math.max(count, 1)));
    if (k % 4 === 3) u = u - (u % 10) + 5; // exactly half a millisecond
  }
  return out;
}

// Seconds as the provider writes them (u in tenths of ms): at most 4 decimals.
export const seconds = (u) => u / 10000;
// The offset callnorm must answer: ms rounded half up, in integer arithmetic.
export const halfUpMs = (u) => Math.floor((u + 5) / 10);

// The conversation of a call and its timings: [{role, content, u}].
export function turns(seed, count, agentName, talkMs) {
  const msgs = makeMessages(seed, count, agentName);
  const times = turnTimes(seed, count, talkMs);
  return msgs.map((m, k) => ({ role: m.role, content: m.content, u: times[k] }));
}

const SUMMARIES = [
  'The caller confirmed the appointment and asked for a text reminder.',
  'The customer asked about a late fee; the agent waived it.',
  'Connection problems were resolved after a modem restart.',
  'The prospect asked for a brochure by email instead of a consultation.',
  'The delivery was redirected to a pickup point.',
];

export function summary(seed) {
  return SUMMARIES[new Rng(seed ^ 0x5a11).int(SUMMARIES.length)];
}

// A cost in whole cents (1 cent .. 9.99 dollars), and the dollars it is.
export function cents(seed) {
  return 1 + new Rng(seed ^ 0xc057).int(999);
}

export function seedOf(c) {
  return typeof c.seed === 'number' ? c.seed : hash32('detail|' + c.nid);
}

// A signed, expiring URL as storage services hand them out.
export function signedUrl(host, nid, seed, expiresS) {
  const sig = (hash32('sig|' + nid + '|' + seed) >>> 0).toString(16).padStart(8, '0');
  return 'https://' + host + '/recordings/' + encodeURIComponent(nid) + '.mp3?X-Expires=' + expiresS + '&X-Signature=' + sig;
}

// The path segment after `prefix`, decoded once as an HTTP server does:
// {id, tail} or null when rest does not start with prefix or the segment
// is empty or badly escaped.
export function idSegment(rest, prefix) {
  if (!rest.startsWith(prefix)) return null;
  const seg = rest.slice(prefix.length);
  const slash = seg.indexOf('/');
  const raw = slash < 0 ? seg : seg.slice(0, slash);
  if (raw === '') return null;
  try {
    return { id: decodeURIComponent(raw), raw, tail: slash < 0 ? '' : seg.slice(slash) };
  } catch {
    return null;
  }
}

// A kind's `detail` for one GET of prefix + the id: auth(headers, ctx)
// says whether the key is right, else unauthorized(headers, ctx) is the
// 401's body (some providers word a missing key apart); an unknown id gets
// notFound(id); a known one { status: 200, body: body(call, ctx) }.
export function getCallDetail({ prefix, auth, unauthorized, notFound, body, expected }) {
  return {
    match(rest, method) {
      const m = method === 'GET' ? idSegment(rest, prefix) : null;
      return m && m.tail === '' ? { id: m.id, part: 'call' } : null;
    },
    handle(store, req, m) {
      if (!auth(req.headers, store.ctx)) return { status: 401, body: unauthorized(req.headers, store.ctx) };
      const c = store.byId.get(m.id);
      if (!c) return { status: 404, body: notFound(m.id) };
      return { status: 200, body: body(c, store.ctx) };
    },
    expected,
  };
}
