// One simulated provider account: the generated calls, cached native JSON,
// filtered views, inserts, faults, latency and the request log.

import { Rng, mix32 } from './rng.mjs';
import { drawStart, providerSeed, upperBound } from './common.mjs';
import verbex from './kinds/verbex.mjs';
import voicy from './kinds/voicy.mjs';
import talkover from './kinds/talkover.mjs';
import osvi from './kinds/osvi.mjs';
import zudu from './kinds/zudu.mjs';
import bland from './kinds/bland.mjs';
import retell from './kinds/retell.mjs';
import twilio from './kinds/twilio.mjs';
import elevenlabs from './kinds/elevenlabs.mjs';

import vapi from './kinds/vapi.mjs';

export const KINDS = { verbex, voicy, talkover, osvi, zudu, bland, retell, twilio, vapi, elevenlabs };

const JSON_CACHE_MAX = 200000; // native JSON strings kept per provider
const TEXT_CACHE_MAX = 200000;
const VIEW_CACHE_MAX = 64;
const LOG_MAX = 10000;

export class Store {
  constructor({ name, kind, size, seed, late = 0 }) {
    this.name = name;
    this.late = late; // creation-order kinds: calls that start long after creation
    this.kind = kind;
    this.K = KINDS[kind];
    this.size = size;
    this.seed = seed;
    this.ctx = { name, kind, pseed: providerSeed(seed, name) };
    this.K.setup(this.ctx);
    this.orig = this.generate(size);
    this.latencyDefault = 0;
    this.resetState();
  }

  generate(size) {
    const K = this.K;
    const calls = new Array(size);
    let prevT = null;
    for (let i = 0; i < size; i++) {
      const rng = new Rng(mix32(this.ctx.pseed, i));
      let spec = i < K.variants.length ? K.variants[i] : K.randomSpec(rng);
      if (i >= K.variants.length && i < K.variants.length + this.late) spec = { ...spec, late: true };
      const t0 = drawStart(rng, i, prevT, K.wholeSeconds);
      const c = K.build(this.ctx, rng, spec, i, t0, false);
      if (c.t !== null) prevT = c.t;
      calls[i] = c;
    }
    calls.sort(K.cmpAsc);
    return calls;
  }

  resetState() {
    this.base = this.orig.slice(); // ascending; default list order is the reverse
    this._byId = null; // built on first use (voicy pagination keys)
    this.version = (this.version || 0) + 1;
    this.views = new Map();
    this.sorted = new Map();
    this.jsonCache = new Map();
    this.textCache = new Map();
    this.inserted = 0;
    this.fault = null;
    this.latency = this.latencyDefault;
    this.log = [];
    this.lastPage = null;
    this.tokenBytes = null; // verbex: page tokens padded to this length
    this.nextUriPrefix = null; // twilio: written before each next_page_uri
    this.quirks = {}; // POST /_control/NAME/quirk (kinds that have some)
  }

  get byId() {
    if (!this._byId) {
      this._byId = new Map();
      for (const c of this.base) this._byId.set(c.nid, c);
    }
    return this._byId;
  }

  json(c) {
    let s = this.jsonCache.get(c);
    if (s === undefined) {
      s = JSON.stringify(this.K.native(c, this.ctx));
      if (this.jsonCache.size >= JSON_CACHE_MAX) this.jsonCache.clear();
      this.jsonCache.set(c, s);
    }
    return s;
  }

  text(c, make) {
    let s = this.textCache.get(c);
    if (s === undefined) {
      s = make();
      if (this.textCache.size >= TEXT_CACHE_MAX) this.textCache.clear();
      this.textCache.set(c, s);
    }
    return s;
  }

  expected(c) {
    return this.K.expected(c, this.ctx);
  }

  // Calls matching `pred`, in base (ascending) order; cached per signature.
  view(sig, pred) {
    let v = this.views.get(sig);
    if (v) return v;
    v = this.base.filter(pred);
    if (this.views.size >= VIEW_CACHE_MAX) this.views.clear();
    this.views.set(sig, v);
    return v;
  }

  // Calls matching `pred`, sorted by `cmp` (cached per sort key and signature).
  sortedView(sig, sortKey, cmp, pred) {
    let v = this.views.get(sig);
    if (v) return v;
    let s = this.sorted.get(sortKey);
    if (!s) {
      s = this.base.slice().sort(cmp);
      if (this.sorted.size >= 16) this.sorted.clear();
      this.sorted.set(sortKey, s);
    }
    v = s.filter(pred);
    if (this.views.size >= VIEW_CACHE_MAX) this.views.clear();
    this.views.set(sig, v);
    return v;
  }

  // Default list order (newest first for every kind).
  defaultOrder() {
    return this.base.slice().reverse();
  }

  // spec (optional): fields laid over each inserted call's random spec
  // (a kind's own knobs, e.g. twilio's lag_ms)
  insert(count, nowMs, spec = null) {
    const K = this.K;
    let maxT = -Infinity;
    if (this.base.length) {
      for (const c of this.base) {
        const x = K.orderTime(c);
        if (x > maxT) maxT = x;
      }
    }
    const unit = K.wholeSeconds ? 1000 : 1;
    let t0 = K.wholeSeconds ? Math.floor(nowMs / 1000) * 1000 : nowMs;
    if (t0 <= maxT) t0 = Math.floor(maxT / unit) * unit + unit;
    const out = [];
    for (let k = 0; k < count; k++) {
      const rng = new Rng(mix32(this.ctx.pseed ^ 0x1a5e47, this.inserted++));
      const c = K.build(this.ctx, rng, { ...K.insertSpec(rng), ...spec }, Number.MAX_SAFE_INTEGER, t0, true);
      const pos = upperBound(this.base, c, K.cmpAsc);
      this.base.splice(pos, 0, c);
      if (this._byId) this._byId.set(c.nid, c);
      out.push(c);
    }
    this.version++;
    this.views.clear();
    this.sorted.clear();
    return out;
  }

  takeFault() {
    const f = this.fault;
    if (!f) return null;
    if (f.count > 0) {
      f.count--;
      if (f.count === 0) this.fault = null;
    }
    return f;
  }

  addLog(entry) {
    if (this.log.length >= LOG_MAX) this.log.shift();
    this.log.push(entry);
  }
}
