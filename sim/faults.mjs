// Fault injection for simulated list endpoints.
import zlib from 'node:zlib';

export const FAULT_MODES = new Set([
  'status:500', 'status:502', 'status:503', 'status:429', 'status:401', 'status:403', 'status:404',
  'malformed', 'truncated', 'reset', 'oversize', 'deep', 'wrongtypes', 'redirect', 'hang', 'trickle', 'empty', 'repeat',
  'gzipbomb', 'headers',
]);

const STATUS_TEXT = {
  500: ['internal_server_error', 'Internal server error.'],
  502: ['bad_gateway', 'Bad gateway'],
  503: ['service_unavailable', 'Service temporarily unavailable'],
  429: ['rate_limit_exceeded', 'Too many requests, please slow down'],
  403: ['forbidden', 'You do not have access to this resource'],
  404: ['not_found', 'Resource not found'],
};

const JSON_TYPE = 'application/json';

// Validate a fault description from the control API. Returns an error string or null.
export function checkFault(f) {
  if (!f || typeof f !== 'object' || Array.isArray(f)) return 'body must be a JSON object';
  if (!FAULT_MODES.has(f.mode)) return 'unknown mode: ' + f.mode;
  if (f.count !== undefined && (!Number.isInteger(f.count) || f.count < -1 || f.count === 0)) return 'count must be a positive integer or -1';
  if (f.retry_after !== undefined && typeof f.retry_after !== 'string' && !Number.isInteger(f.retry_after)) return 'retry_after must be a string';
  for (const k of ['bytes', 'depth', 'interval_ms', 'chunk_bytes', 'count_headers']) {
    if (f[k] !== undefined && (!Number.isInteger(f[k]) || f[k] < 1)) return k + ' must be a positive integer';
  }
  return null;
}

function recordsOf(kind, obj) {
  if (!obj || typeof obj !== 'object') return null;
  if (Array.isArray(obj)) return obj; // a bare array of records (vapi)
  if (kind === 'elevenlabs') return obj.conversations;
  if (kind === 'verbex' || kind === 'voicy' || kind === 'twilio') return obj.calls;
  if (kind === 'zudu') return obj.data && obj.data.calls;
  if (kind === 'bland') return obj.calls;
  if (kind === 'retell') return obj.items;
  return obj.data;
}

function wrongValue(v, key, j) {
  if (v === null) return j % 2 ? 0 : 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return /(^id$|_id$|^_id$)/.test(key) ? 12345 : /(_at|time|timestamp)$/.test(key) ? 1767225600 : [v];
  if (Array.isArray(v)) return 'array';
  return JSON.stringify(v);
}

// Records of the wrong shape: arrays instead of objects, numbers as
// strings, strings as numbers or arrays, objects as strings.
export function wrongTypes(kind, bodyText) {
  let obj;
  try {
    obj = JSON.parse(bodyText);
  } catch {
    return bodyText;
  }
  const recs = recordsOf(kind, obj);
  if (!Array.isArray(recs)) return bodyText;
  if (recs.length === 0) recs.push({ id: 1 });
  for (let j = 0; j < recs.length; j++) {
    const r = recs[j];
    if (j % 3 === 0) recs[j] = Object.values(r);
    else {
      const o = {};
      for (const [k, v] of Object.entries(r)) o[k] = wrongValue(v, k, j);
      recs[j] = o;
    }
  }
  return JSON.stringify(obj);
}

function head(res, status, headers) {
  res.writeHead(status, { 'Content-Type': JSON_TYPE, ...headers });
}

function sendText(res, status, text, headers = {}) {
  const buf = Buffer.from(text);
  head(res, status, { 'Content-Length': buf.length, ...headers });
  res.end(buf);
}

// Apply fault `f` to one list request. `normal()` computes the correct
// response {status, text}. Returns the HTTP status sent (null when none).
export function applyFault(f, ctx) {
  const { store, res, req, normal, redirectPort } = ctx;
  const K = store.K;
  const mode = f.mode;
  if (mode.startsWith('status:')) {
    const code = parseInt(mode.slice(7), 10);
    if (code === 401) {
      sendText(res, 401, JSON.stringify(K.unauthorized()));
      return 401;
    }
    const [c, m] = STATUS_TEXT[code];
    const headers = {};
    if (code === 429) headers['Retry-After'] = f.retry_after !== undefined ? String(f.retry_after) : '1';
    if (code === 503 && f.retry_after !== undefined) headers['Retry-After'] = String(f.retry_after);
    let body = K.err(code, c, m);
    if (store.kind === 'osvi' && code === 404) body = { success: false, error: 'not_found', details: null };
    sendText(res, code, JSON.stringify(body), headers);
    return code;
  }
  switch (mode) {
    case 'malformed': {
      const [pre] = K.envelope(store, 1);
      sendText(res, 200, pre + '{"' + (store.kind === 'verbex' ? '_id' : 'call_id') + '": "6650f0c2a1b2", "status": tru,,}');
      return 200;
    }
    case 'empty':
      sendText(res, 200, '');
      return 200;
    case 'repeat': {
      const r = store.lastPage || normal();
      sendText(res, r.status, r.text);
      return r.status;
    }
    case 'wrongtypes': {
      const r = normal();
      sendText(res, r.status, r.status === 200 ? wrongTypes(store.kind, r.text) : r.text);
      return r.status;
    }
    case 'deep': {
      const depth = f.depth || 10000;
      const [pre, suf] = K.envelope(store, 1);
      sendText(res, 200, pre + '['.repeat(depth) + ']'.repeat(depth) + suf);
      return 200;
    }
    case 'redirect': {
      const loc = 'http://127.0.0.1:' + redirectPort + req.url;
      sendText(res, 302, JSON.stringify({ detail: 'Found', location: loc }), { Location: loc });
      return 302;
    }
    case 'hang':
      return null; // keep the connection open, never answer
    case 'truncated': {
      const r = normal();
      const buf = Buffer.from(r.text);
      head(res, r.status, { 'Content-Length': buf.length, Connection: 'close' });
      res.write(buf.subarray(0, Math.max(1, buf.length >> 1)), () => res.socket && res.socket.end());
      return r.status;
    }
    case 'reset': {
      const r = normal();
      const buf = Buffer.from(r.text);
      head(res, r.status, { 'Content-Length': buf.length });
      res.write(buf.subarray(0, Math.max(1, buf.length >> 1)), () => {
        setTimeout(() => {
          const s = res.socket;
          if (!s) return;
          if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
          else s.destroy();
        }, 10);
      });
      return r.status;
    }
    case 'trickle': {
      const r = normal();
      const buf = Buffer.from(r.text);
      head(res, r.status, { 'Content-Length': buf.length });
      res.flushHeaders();
      const step = f.chunk_bytes || 1;
      let off = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        const end = Math.min(buf.length, off + step);
        const piece = buf.subarray(off, end);
        off = end;
        if (off >= buf.length) {
          clearInterval(timer);
          res.end(piece);
        } else res.write(piece);
      }, f.interval_ms || 200);
      res.on('close', () => clearInterval(timer));
      return r.status;
    }
    case 'oversize':
      streamOversize(store, res, f.bytes || 40 * 1024 * 1024);
      return 200;
    case 'gzipbomb': {
      // a small gzip body that inflates to `bytes` (default 64 MiB)
      const z = gzipBomb(f.bytes || 64 * 1024 * 1024);
      head(res, 200, { 'Content-Length': z.length, 'Content-Encoding': 'gzip' });
      res.end(z);
      return 200;
    }
    case 'headers': {
      // the correct body after `count_headers` (default 4000) headers of
      // about 100 bytes each
      const r = normal();
      const extra = {};
      const n = f.count_headers || 4000;
      for (let i = 0; i < n; i++) extra['X-Filler-' + i] = 'f'.repeat(88);
      sendText(res, r.status, r.text, extra);
      return r.status;
    }
    default:
      return null;
  }
}

// Work a fault needs is done when it is set, not while a client waits.
export function prepareFault(f) {
  if (f.mode === 'gzipbomb') gzipBomb(f.bytes || 64 * 1024 * 1024);
}

const bombs = new Map();
function gzipBomb(bytes) {
  if (!bombs.has(bytes)) bombs.set(bytes, zlib.gzipSync(Buffer.alloc(bytes, 0x20), { level: 6 }));
  return bombs.get(bytes);
}

function streamOversize(store, res, bytes) {
  const sample = store.base.length ? store.json(store.base[store.base.length - 1]) : '{}';
  const [pre0, suf0] = store.K.envelope(store, 1);
  const per = sample.length + 1;
  const count = Math.max(1, Math.floor((bytes - pre0.length - suf0.length - 16) / per));
  const [pre, suf] = store.K.envelope(store, count);
  head(res, 200, {}); // no Content-Length: chunked transfer encoding
  let written = 0;
  let left = count;
  let first = true;
  const pad = () => Math.max(0, bytes - written - suf.length);
  const chunkRecs = Math.max(1, Math.floor(65536 / per));
  const write = (s) => {
    written += s.length;
    return res.write(s);
  };
  write(pre);
  const pump = () => {
    while (left > 0) {
      if (res.destroyed) return;
      const k = Math.min(left, chunkRecs);
      let s = '';
      for (let i = 0; i < k; i++) {
        s += (first ? '' : ',') + sample;
        first = false;
      }
      left -= k;
      if (!write(s)) return void res.once('drain', pump);
    }
    if (res.destroyed) return;
    const p = pad();
    if (p > 0) write(' '.repeat(p));
    res.end(suf);
  };
  pump();
}
