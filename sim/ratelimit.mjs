// The providers' own request rate limits, as their documentation gives
// them (voicy 60 requests a minute, talkover 100), enforced only when
// enabled (`--rate-limits` or POST /_control/ratelimit): off, the
// simulators answer any number of requests as before.
//
// The window slides: a request received at r is refused when `limit`
// requests were already accepted in (r - window_ms, r]. That is the
// strictest reading of "N requests per minute"; a client that keeps to it
// never meets a fixed-window limiter's 429 either. Refused requests do
// not count (they were not served).

// The documented limits per kind (the others document none).
export const DOCUMENTED = {
  voicy: { limit: 60, window_ms: 60000 },
  talkover: { limit: 100, window_ms: 60000 },
};

// The 429 bodies (research: voicy's rate-limit page shows {"error": …};
// talkover's API introduction shows {success:false, error:{code, message}}).
const BODY = {
  voicy: () => ({ error: 'Rate limit exceeded' }),
  talkover: () => ({ success: false, error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' } }),
};

export class RateLimit {
  constructor(kind, enabled) {
    this.kind = kind;
    this.startup = { enabled: enabled && !!DOCUMENTED[kind], ...(DOCUMENTED[kind] || { limit: null, window_ms: null }) };
    this.reset();
  }

  reset() {
    Object.assign(this, this.startup);
    this.accepted = []; // receive times of accepted requests, ascending
    this.refused = 0;
  }

  info() {
    return { enabled: this.enabled, limit: this.limit, window_ms: this.window_ms, refused: this.refused };
  }

  // {enabled, limit?, window_ms?}: null when applied, else an error text.
  configure(b) {
    if (!b || typeof b !== 'object' || Array.isArray(b)) return 'body must be a JSON object';
    if (typeof b.enabled !== 'boolean') return 'enabled must be true or false';
    for (const k of ['limit', 'window_ms']) {
      if (b[k] !== undefined && (!Number.isInteger(b[k]) || b[k] < 1 || b[k] > 1e7)) return k + ' must be a positive integer';
    }
    const limit = b.limit ?? this.limit ?? DOCUMENTED[this.kind]?.limit;
    const win = b.window_ms ?? this.window_ms ?? DOCUMENTED[this.kind]?.window_ms;
    if (b.enabled && (!limit || !win)) return 'kind ' + this.kind + ' documents no rate limit: give limit and window_ms';
    this.enabled = b.enabled;
    if (limit) this.limit = limit;
    if (win) this.window_ms = win;
    this.accepted = [];
    return null;
  }

  drop(now) {
    const from = now - this.window_ms;
    let i = 0;
    while (i < this.accepted.length && this.accepted[i] <= from) i++;
    if (i) this.accepted.splice(0, i);
  }

  headers(now) {
    const reset = this.accepted.length ? this.accepted[0] + this.window_ms : now;
    return {
      'X-RateLimit-Limit': String(this.limit),
      'X-RateLimit-Remaining': String(Math.max(0, this.limit - this.accepted.length)),
      'X-RateLimit-Reset': String(Math.ceil(reset / 1000)),
    };
  }

  // One request received at `now` (epoch ms): null when it may be served
  // (and it is counted), else the 429 to send: {status, body, headers}.
  take(now) {
    if (!this.enabled) return null;
    this.drop(now);
    if (this.accepted.length < this.limit) {
      this.accepted.push(now);
      return null;
    }
    this.refused++;
    // the oldest accepted request leaves the window at accepted[0] + window
    const waitMs = this.accepted[0] + this.window_ms - now;
    const h = this.headers(now);
    h['Retry-After'] = String(Math.max(1, Math.ceil(waitMs / 1000)));
    return { status: 429, body: (BODY[this.kind] || BODY.voicy)(), headers: h };
  }
}
