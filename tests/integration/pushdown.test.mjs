// What /providers claims is pushed down is what the simulators receive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir, writeConfig, simConfig, startServer, startSim, json, KINDS } from '../lib/callnorm.mjs';

let sim, server, agents = {};
before(async () => {
  sim = await startSim({ seed: 3, size: 60 });
  server = await startServer(writeConfig(tmpdir(), simConfig(sim.port, { providers: KINDS })));
  for (const p of (await sim.control('providers')).providers) agents[p.name] = p.agents.map((a) => a.id);
});
after(async () => { await server?.stop(); await sim?.stop(); });

// For each kind and filter: a query using it, and where it must show up
// in the upstream request (q = parsed query string, b = JSON body).
const fc = (b) => b?.filter_criteria ?? {};
const claims = {
  verbex: {
    agent_id: [(a) => `agent_id=${a[0]},${a[1]}`, (e, a) => JSON.stringify(e.query.ai_agent_ids) === JSON.stringify([a[0], a[1]].sort())],
    started_after: [() => 'started_after=2026-03-01T00:00:00Z', (e) => Date.parse(e.query.start_time_after) <= Date.parse('2026-03-01T00:00:00Z')],
    started_before: [() => 'started_before=2026-03-01T00:00:00Z', (e) => Date.parse(e.query.start_time_before) >= Date.parse('2026-03-01T00:00:00Z')],
  },
  voicy: {
    status: [() => 'status=busy', (e) => JSON.stringify(fc(e.body).call_status) === '["busy"]'],
    direction: [() => 'direction=outbound', (e) => JSON.stringify(fc(e.body).direction) === '["outgoing"]'],
    agent_id: [(a) => `agent_id=${a[0]}`, (e, a) => JSON.stringify(fc(e.body).agent_id) === JSON.stringify([a[0]])],
    started_after: [() => 'started_after=2026-03-01T00:00:00Z', (e) => fc(e.body).start_timestamp.lower_threshold <= Date.parse('2026-03-01T00:00:00Z')],
    started_before: [() => 'started_before=2026-03-01T00:00:00Z', (e) => fc(e.body).start_timestamp.upper_threshold >= Date.parse('2026-03-01T00:00:00Z') - 1],
    include_test: [() => 'include_test=false', (e) => fc(e.body).include_test_calls === false],
  },
  talkover: {
    status: [() => 'status=no_answer', (e) => e.query.status === 'no-answer'],
    direction: [() => 'direction=inbound', (e) => e.query.direction === 'inbound'],
    agent_id: [(a) => `agent_id=${a[1]}`, (e, a) => e.query.agent_id === a[1]],
    started_after: [() => 'started_after=2026-03-01T12:00:00Z', (e) => e.query.date_from <= '2026-03-01'],
    started_before: [() => 'started_before=2026-03-01T12:00:00Z', (e) => e.query.date_to >= '2026-03-01'],
    phone: [() => 'phone=555', (e) => e.query.search === '555'],
  },
  osvi: {
    status: [() => 'status=completed,no_answer', (e) => e.query.status.split(',').sort().join(',') === 'not_picked,picked'],
    direction: [() => 'direction=outbound', (e) => e.query.call_type === 'outbound'],
    agent_id: [(a) => `agent_id=${a[0]}`, (e, a) => e.query.agent_uuid === a[0]],
  },
  zudu: {
    status: [() => 'status=scheduled', (e) => JSON.stringify(fc(e.body).call_status) === '["SCHEDULED"]'],
    type: [() => 'type=web', (e) => JSON.stringify(fc(e.body).call_type) === '["WEB_CALL"]'],
    agent_id: [(a) => `agent_id=${a[0]},${a[2]}`, (e, a) => [].concat(fc(e.body).agent_id).sort().join() === [a[0], a[2]].sort().join()],
    min_duration_ms: [() => 'min_duration_ms=60000', (e) => fc(e.body).duration_ms.lower_threshold <= 60000],
    max_duration_ms: [() => 'max_duration_ms=60000', (e) => fc(e.body).duration_ms.upper_threshold >= 60000],
    q: [() => 'q=refund', (e) => String(fc(e.body).transcript_search).toLowerCase() === 'refund'],
  },
  bland: {
    status: [() => 'status=completed,voicemail', (e) => e.query.completed === 'true'],
    direction: [() => 'direction=inbound', (e) => e.query.inbound === 'true'],
    started_after: [() => 'started_after=2026-03-01T12:00:00Z', (e) => e.query.start_date === '2026-03-01'],
    started_before: [() => 'started_before=2026-03-01T00:00:00Z', (e) => e.query.end_date === '2026-02-28'],
    min_duration_ms: [() => 'min_duration_ms=150000', (e) => e.query.duration_gt === '1'],
    max_duration_ms: [() => 'max_duration_ms=150000', (e) => e.query.duration_lt === '3'],
  },
  retell: {
    status: [() => 'status=in_progress', (e) => JSON.stringify(fc(e.body).call_status) === '{"type":"enum","op":"in","value":["ongoing"]}'],
    direction: [() => 'direction=inbound', (e) => JSON.stringify(fc(e.body).direction.value) === '["inbound"]'],
    type: [() => 'type=web', (e) => JSON.stringify(fc(e.body).call_type.value) === '["web_call"]'],
    agent_id: [(a) => `agent_id=${a[0]},${a[1]}`, (e, a) => fc(e.body).agent.map((x) => x.agent_id).sort().join() === [a[0], a[1]].sort().join()],
    started_after: [() => 'started_after=2026-03-01T00:00:00Z', (e) => fc(e.body).start_timestamp.op === 'ge' && fc(e.body).start_timestamp.value <= Date.parse('2026-03-01T00:00:00Z')],
    started_before: [() => 'started_before=2026-03-01T00:00:00Z', (e) => fc(e.body).start_timestamp.op === 'lt' && fc(e.body).start_timestamp.value >= Date.parse('2026-03-01T00:00:00Z')],
    min_duration_ms: [() => 'min_duration_ms=60000', (e) => fc(e.body).duration_ms.op === 'ge' && fc(e.body).duration_ms.value <= 60000],
    max_duration_ms: [() => 'max_duration_ms=60000', (e) => fc(e.body).duration_ms.op === 'le' && fc(e.body).duration_ms.value >= 60000],
  },
  twilio: {
    status: [() => 'status=no_answer', (e) => e.query.Status === 'no-answer'],
    // whole GMT days, the operator in the name: StartTime>=D, StartTime<=D
    started_after: [() => 'started_after=2026-03-01T12:00:00Z', (e) => e.query['StartTime>'] === '2026-03-01'],
    started_before: [() => 'started_before=2026-03-01T12:00:00Z', (e) => e.query['StartTime<'] === '2026-03-02'],
  },
  vapi: {
    agent_id: [(a) => `agent_id=${a[1]}`, (e, a) => e.query.assistantId === a[1]],
    // created before T (a call starts after it is created)
    started_before: [() => 'started_before=2026-03-01T00:00:00Z', (e) => Date.parse(e.query.createdAtLt) >= Date.parse('2026-03-01T00:00:00Z')],
    // created at most start_lag_ms (default 5 minutes) before T
    started_after: [() => 'started_after=2026-03-01T00:00:00Z', (e) => Date.parse(e.query.createdAtGe) <= Date.parse('2026-03-01T00:00:00Z') - 300000],
  },
  elevenlabs: {
    status: [() => 'status=completed', (e) => [].concat(e.query.exclude_statuses).sort().join() === 'failed,in-progress,initiated'],
    agent_id: [(a) => `agent_id=${a[1]}`, (e, a) => e.query.agent_id === a[1]],
    // whole seconds, one second wider on each side
    started_after: [() => 'started_after=2026-03-01T00:00:00.500Z', (e) => e.query.call_start_after_unix === String(Date.parse('2026-03-01T00:00:00Z') / 1000 - 1)],
    started_before: [() => 'started_before=2026-03-01T00:00:00.500Z', (e) => e.query.call_start_before_unix === String(Date.parse('2026-03-01T00:00:01Z') / 1000 + 1)],
    min_duration_ms: [() => 'min_duration_ms=60500', (e) => e.query.call_duration_min_secs === '60'],
    max_duration_ms: [() => 'max_duration_ms=60500', (e) => e.query.call_duration_max_secs === '61'],
  },
};

test('every filter a provider claims to push down reaches it', async () => {
  const provs = json(await server.request('/providers')).data;
  assert.equal(provs.length, KINDS.length);
  assert.equal(provs.length, Object.keys(claims).length);
  for (const p of provs) {
    const table = claims[p.kind];
    assert.deepEqual(Object.keys(table).sort(), [...p.capabilities.filters_pushed_down].sort(), p.kind + ' claims');
    for (const [filter, [query, seen]] of Object.entries(table)) {
      await sim.clearLog();
      const r = await server.request(`/calls?provider=${p.name}&limit=5&${query(agents[p.name])}`);
      assert.equal(r.status, 200, p.name + ' ' + filter + ' ' + r.text);
      const meta = json(r).meta.providers[0];
      assert.ok(meta.filters_pushed_down.includes(filter), `${p.name}: ${filter} reported pushed`);
      const log = await sim.log(p.name);
      assert.ok(log.length >= 1, p.name + ' was asked');
      // a kind with a second walk (twilio) sends that walk's request too
      assert.ok(log.some((e) => seen(e, agents[p.name])), `${p.name}: ${filter} pushed down: ` + JSON.stringify(log.map((e) => e.query ?? e.body)));
    }
  }
});

test('filters never pushed down are still applied (reported local)', async () => {
  const b = json(await server.request('/calls?provider=verbex&status=completed&limit=3'));
  assert.deepEqual(b.meta.providers[0].filters_pushed_down, []);
  assert.ok(b.meta.providers[0].filters_local.includes('status'));
  assert.ok(b.data.every((c) => c.status === 'completed'));
});

test('a query that cannot match at a provider sends it nothing', async () => {
  await sim.clearLog();
  const b = json(await server.request('/calls?provider=talkover,osvi&type=web'));
  assert.deepEqual(b.data, []);
  assert.equal(b.page.has_more, false);
  assert.equal((await sim.log('talkover')).length + (await sim.log('osvi')).length, 0);
});
