#!/usr/bin/env node
// Every call of one callnorm query, one JSON object a line on stdout.
//
//     fetch-calls.mjs URL [--user USER:PASSWORD] [--param NAME=VALUE ...]
//
// URL is the API's /calls, e.g. https://example.org/api/calls.  It follows
// next_cursor until has_more is false, keeping the other parameters as they
// were (only the cursor changes), and fails loudly: an error answer, a
// broken page or a connection failure ends it with a message on stderr and
// exit status 1, never with a short list that looks complete.  Node.js 18
// or newer (fetch), no packages.

function fail(msg) {
  process.stderr.write(`fetch-calls: ${msg}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
let base;
let user;
const params = new URLSearchParams();
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--user') user = args[++i];
  else if (args[i] === '--param') {
    const p = args[++i] || '';
    const eq = p.indexOf('=');
    if (eq < 1) fail('--param takes NAME=VALUE');
    params.append(p.slice(0, eq), p.slice(eq + 1));
  } else if (!base) base = args[i];
  else fail(`unexpected argument ${args[i]}`);
}
if (!base) fail('usage: fetch-calls.mjs URL [--user USER:PASSWORD] [--param NAME=VALUE ...]');

const headers = { Accept: 'application/json' };
if (user) headers.Authorization = `Basic ${Buffer.from(user).toString('base64')}`;

let cursor = null;
for (;;) {
  const q = new URLSearchParams(params);
  if (cursor) q.set('cursor', cursor);
  const qs = q.toString();
  const url = base + (qs ? `?${qs}` : '');
  let res;
  try {
    res = await fetch(url, { headers });
  } catch (e) {
    fail(`${url}: ${e.cause?.message || e.message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    // a problem document (RFC 9457) says what went wrong and who
    let detail = text;
    try {
      const p = JSON.parse(text);
      detail = `${p.code}: ${p.detail}`;
    } catch {}
    fail(`HTTP ${res.status} from ${url}: ${detail}`);
  }
  let page;
  try {
    page = JSON.parse(text);
    if (!Array.isArray(page.data) || typeof page.page !== 'object') throw new Error();
  } catch {
    fail(`${url}: not a page of calls`);
  }
  for (const call of page.data) process.stdout.write(`${JSON.stringify(call)}\n`);
  if (!page.page.has_more) break;
  cursor = page.page.next_cursor;
  if (!cursor) fail('has_more without a next_cursor');
}
