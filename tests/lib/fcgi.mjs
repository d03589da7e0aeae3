// A small FastCGI client (responder role) for tests: one request per
// connection, as nginx does with fastcgi_keep_conn off.
import net from 'node:net';

const BEGIN = 1, END = 3, PARAMS = 4, STDIN = 5, STDOUT = 6, STDERR = 7;

function record(type, id, content) {
  const len = content.length;
  const pad = (8 - (len % 8)) % 8;
  const h = Buffer.alloc(8);
  h[0] = 1; h[1] = type; h.writeUInt16BE(id, 2); h.writeUInt16BE(len, 4); h[6] = pad;
  return Buffer.concat([h, content, Buffer.alloc(pad)]);
}

function nvLen(n) {
  if (n < 128) return Buffer.from([n]);
  const b = Buffer.alloc(4); b.writeUInt32BE((n | 0x80000000) >>> 0); return b;
}

function encodeParams(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    const kb = Buffer.from(k), vb = Buffer.from(String(v));
    parts.push(nvLen(kb.length), nvLen(vb.length), kb, vb);
  }
  return Buffer.concat(parts);
}

// Parses a CGI-style response: "Status: 200 OK\r\nName: v\r\n\r\nbody".
export function parseCgi(buf) {
  const i = buf.indexOf('\r\n\r\n');
  if (i < 0) throw new Error('no header terminator in: ' + buf.toString().slice(0, 200));
  const head = buf.subarray(0, i).toString('latin1').split('\r\n');
  const headers = {};
  let status = 200;
  for (const line of head) {
    const c = line.indexOf(':');
    const name = line.slice(0, c).toLowerCase(), value = line.slice(c + 1).trim();
    if (name === 'status') status = parseInt(value, 10);
    else headers[name] = headers[name] ? headers[name] + ', ' + value : value;
  }
  const body = buf.subarray(i + 4);
  return { status, headers, body, text: body.toString('utf8') };
}

// address: {path} for unix sockets or {host, port}.
export function fcgiRequest(address, params, { timeoutMs = 30000, role = 1 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(address);
    const chunks = [];
    let pending = Buffer.alloc(0);
    let stderr = '';
    let stdoutClosed = false, stdoutRecords = 0;
    const fail = (why) => { clearTimeout(timer); sock.destroy(); reject(new Error('bad FastCGI framing: ' + why)); };
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('fcgi timeout')); }, timeoutMs);
    sock.on('connect', () => {
      const begin = Buffer.alloc(8); begin.writeUInt16BE(role, 0); // 1 responder; no keep-conn
      const p = encodeParams(params);
      const out = [record(BEGIN, 1, begin)];
      for (let o = 0; o < p.length; o += 65535) out.push(record(PARAMS, 1, p.subarray(o, o + 65535)));
      out.push(record(PARAMS, 1, Buffer.alloc(0)), record(STDIN, 1, Buffer.alloc(0)));
      sock.write(Buffer.concat(out));
    });
    sock.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 8) {
        const type = pending[1], len = pending.readUInt16BE(4), pad = pending[6];
        if (pending.length < 8 + len + pad) break;
        // the framing a strict web server checks (FastCGI 1.0, section 3)
        if (pending[0] !== 1) return fail('version ' + pending[0]);
        if (pending.readUInt16BE(2) !== 1) return fail('request id ' + pending.readUInt16BE(2));
        const content = pending.subarray(8, 8 + len);
        if (type === STDOUT) {
          if (stdoutClosed) return fail('STDOUT after its end');
          if (len === 0) stdoutClosed = true;
          else { stdoutRecords++; chunks.push(Buffer.from(content)); }
        } else if (type === STDERR) stderr += content.toString();
        else if (type === END) {
          if (len !== 8) return fail('END_REQUEST length ' + len);
          if (content[4] !== 0) return fail('protocol status ' + content[4]);
          if (!stdoutClosed) return fail('END_REQUEST before the end of STDOUT');
          clearTimeout(timer);
          sock.end();
          try { resolve({ ...parseCgi(Buffer.concat(chunks)), stderr, stdoutRecords }); } catch (e) { reject(e); }
          return;
        } else return fail('record type ' + type);
        pending = pending.subarray(8 + len + pad);
      }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => { clearTimeout(timer); reject(new Error('connection closed before END_REQUEST')); });
  });
}

// Sends a request and closes the connection at once, as a web server
// does when its client goes away before the answer.
export function fcgiAbandon(address, params) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(address);
    sock.on('connect', () => {
      const begin = Buffer.alloc(8); begin.writeUInt16BE(1, 0);
      const p = encodeParams(params);
      sock.end(Buffer.concat([record(BEGIN, 1, begin), record(PARAMS, 1, p), record(PARAMS, 1, Buffer.alloc(0)), record(STDIN, 1, Buffer.alloc(0))]), () => { sock.destroy(); resolve(); });
    });
    sock.on('error', reject);
  });
}

// The CGI environment a web server would pass for a GET of url.
// pathInfo: PATH_INFO as a web server passes it, decoded once (default:
// the URL's path as written).
export function cgiParams(url, { method = 'GET', headers = {}, remoteUser, scriptName = '/api', pathInfo } = {}) {
  const u = new URL(url, 'http://localhost');
  const params = {
    GATEWAY_INTERFACE: 'CGI/1.1', SERVER_PROTOCOL: 'HTTP/1.1', REQUEST_METHOD: method,
    SCRIPT_NAME: scriptName, PATH_INFO: pathInfo ?? u.pathname, QUERY_STRING: u.search.slice(1),
    REQUEST_URI: scriptName + u.pathname + u.search, SERVER_NAME: 'localhost', SERVER_PORT: '80',
    REMOTE_ADDR: '127.0.0.1', CONTENT_LENGTH: '',
  };
  if (remoteUser !== undefined) params.REMOTE_USER = remoteUser;
  for (const [k, v] of Object.entries(headers)) params['HTTP_' + k.toUpperCase().replace(/-/g, '_')] = v;
  return params;
}
