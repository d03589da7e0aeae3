// The paging property over many data sets: for random seeds and provider
// sizes (empty, one call, a few, several pages), random budgets, filter
// combinations, provider subsets, orders and limits (also changing from
// page to page), the concatenation of all pages equals the brute-force
// expectation from the data set — also when the simulators insert new
// calls between pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir, writeConfig, simConfig, startServer, startSim, KINDS } from '../lib/callnorm.mjs';
import { expect, toQueryString, rng } from '../lib/oracle.mjs';
import { loadRecords, randomQuery, walk } from '../lib/walk.mjs';

const ALL = KINDS;
const DATA_SETS = Number(process.env.CALLNORM_PROPERTY_SETS || 6);
const QUERIES = 8;

test(`paging is exact over ${DATA_SETS} random data sets`, async () => {
  const rand = rng(Number(process.env.CALLNORM_PROPERTY_SEED || 4242));
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  for (let d = 0; d < DATA_SETS; d++) {
    const seed = 1000 + Math.floor(rand() * 1e6);
    const sizes = ALL.map((p) => `${p}=${pick([0, 1, 4, 37, 130])}`);
    // a small budget makes short pages that must resume exactly
    const budget = pick([2, 3, 10, 50]);
    const what = `seed ${seed}, ${sizes.join(' ')}, max_upstream_requests ${budget}`;
    const sim = await startSim({ seed, size: 10, args: sizes.flatMap((s) => ['--size', s]) });
    let server;
    try {
      const config = writeConfig(tmpdir(), simConfig(sim.port, { providers: ALL, main: `max_upstream_requests = ${budget}\n` }));
      server = await startServer(config, { threads: 2 });
      const { records, agentsBy } = await loadRecords(sim);
      for (let i = 0; i < QUERIES; i++) {
        const q = randomQuery(rand, ALL, agentsBy);
        const inserting = rand() < 0.35;
        const varying = rand() < 0.3;
        const label = `${what}: ${toQueryString(q)}${inserting ? ' (inserting)' : ''}${varying ? ' (limit varies)' : ''}`;
        const { out } = await walk(server, q, {
          label,
          limitFor: varying ? () => pick([1, 2, 5, 17, 60]) : undefined,
          // new calls start now: after the walk's horizon, never in it
          between: inserting
            ? async (n) => { for (const p of q.provider) await sim.control(`${p}/insert`, 'POST', { count: 1 + (n % 2) }); }
            : undefined,
        });
        const want = expect(records, q);
        const ids = (xs) => xs.map((x) => x.id);
        assert.deepEqual(ids(out), ids(want), 'ids and order, ' + label);
        assert.deepEqual(out, want, 'records, ' + label);
        if (inserting) await sim.reset();
      }
    } finally {
      await server?.stop();
      await sim.stop();
    }
  }
});
