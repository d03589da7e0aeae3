#!/usr/bin/env node
// Writes docs/openapi.json from docs/openapi.yaml: the description callnorm
// serves at GET /openapi.json (compiled into the binary).  Run it after
// editing the YAML; the test suite fails while the two differ.
//
//     node tools/openapi-json.mjs [--check]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, 'package.json'));
const YAML = require('yaml');
const root = path.resolve(here, '..');
const yamlPath = path.join(root, 'docs/openapi.yaml');
const jsonPath = path.join(root, 'docs/openapi.json');

export function render() {
  return JSON.stringify(YAML.parse(fs.readFileSync(yamlPath, 'utf8')), null, 1) + '\n';
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(here, 'openapi-json.mjs')) {
  const text = render();
  if (process.argv.includes('--check')) {
    const old = fs.existsSync(jsonPath) ? fs.readFileSync(jsonPath, 'utf8') : '';
    if (old !== text) {
      process.stderr.write('docs/openapi.json differs from docs/openapi.yaml: run node tools/openapi-json.mjs\n');
      process.exit(1);
    }
  } else {
    fs.writeFileSync(jsonPath, text);
  }
}
