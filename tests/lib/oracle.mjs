// The brute-force expectation for /calls, computed from the simulators'
// own records (their `expected` view is derived in JavaScript from the
// provider-format record, independently of callnorm).
export const STATUSES = ['scheduled', 'queued', 'ringing', 'in_progress', 'completed', 'no_answer', 'busy', 'voicemail', 'failed', 'canceled', 'unknown'];

// records: [{provider, expected, agentId}] ; q: the query as an object of arrays
export function expect(records, q, horizonMs = Infinity) {
  const has = (k) => q[k] !== undefined && q[k].length > 0;
  const ms = (s) => (s == null ? null : Date.parse(s));
  let out = records.filter(({ expected: e, agentId }) => {
    const start = ms(e.started_at);
    if (start !== null && start > horizonMs) return false;
    if (has('provider') && !q.provider.includes(e.provider)) return false;
    if (has('status') && !q.status.includes(e.status)) return false;
    if (has('direction') && !q.direction.includes(e.direction)) return false;
    if (has('type') && !q.type.includes(e.type)) return false;
    if (has('agent_id') && !q.agent_id.includes(agentId ?? e.agent.id)) return false;
    if (has('started_after') && (start === null || start < Date.parse(q.started_after[0]))) return false;
    if (has('started_before') && (start === null || start >= Date.parse(q.started_before[0]))) return false;
    if (has('min_duration_ms') && (e.duration_ms === null || e.duration_ms < Number(q.min_duration_ms[0]))) return false;
    if (has('max_duration_ms') && (e.duration_ms === null || e.duration_ms > Number(q.max_duration_ms[0]))) return false;
    if (has('phone') && !q.phone.some((p) => (e.from || '').includes(p) || (e.to || '').includes(p))) return false;
    if (has('q') && !q.q.some((t) => (e._transcript || '').toLowerCase().includes(t.toLowerCase()))) return false;
    const includeTest = q.include_test?.[0] === 'true';
    if (!includeTest && e.is_test === true) return false;
    return true;
  }).map((r) => r.expected);
  const order = q.order?.[0] ?? 'desc';
  out.sort((a, b) => {
    const ta = ms(a.started_at), tb = ms(b.started_at);
    if (ta !== tb) {
      if (ta === null) return order === 'asc' ? -1 : 1;
      if (tb === null) return order === 'asc' ? 1 : -1;
      return order === 'asc' ? ta - tb : tb - ta;
    }
    if (a.provider !== b.provider) return a.provider < b.provider ? -1 : 1;
    return a.native_id < b.native_id ? -1 : a.native_id > b.native_id ? 1 : 0;
  });
  return out.map(({ _transcript, ...rest }) => rest);
}

export function toQueryString(q) {
  const p = new URLSearchParams();
  for (const [k, vs] of Object.entries(q)) for (const v of vs) p.append(k, v);
  return p.toString();
}

// A seeded generator for reproducible random queries.
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
