// npm run bench -- dialogue
// 1. parse + validate a generated 1,000-node script (goal < 100 ms);
// 2. steps per second of a running session vs XState v5 running an equivalent machine (goal: faster);
// 3. memory for 10,000 concurrent sessions (goal < 200 MB).
import { performance } from 'node:perf_hooks';
import { loadScriptBundle, mapSourceReader, SessionRuntime, type ScriptBundle, type SessionState } from '@caruso/dialogue';
import { defineBenchmark, type BenchFigure } from '@caruso/kernel/testing';
import { interleavedRounds, roundsFigure, roundsOf, singleRun } from '../../../benchmarks/support/rounds.js';
import { assign, createActor, createMachine } from 'xstate';

function generatedScript(nodes: number): string {
  const parts: string[] = ['<script id="big" version="1">', '<var name="score" type="number" expr="0" public="true"/>'];
  const count = nodes - 1;
  for (let i = 0; i < count; i++) {
    const next = i + 1 < count ? `n${i + 1}` : 'done';
    switch (i % 4) {
      case 0:
        parts.push(
          `<question id="n${i}" type="choice"><prompt>Question ${i} for <value expr="coalesce(name, 'you')"/>?</prompt>`,
          `<choice value="a" dtmf="1">A</choice><choice value="b" dtmf="2">B</choice>`,
          `<on event="nomatch"><prompt>Press 1 or 2.</prompt></on>`,
          `<next cond="n${i} == 'a'" target="${next}"><assign var="score" expr="score + 1"/></next><next target="${next}"/></question>`,
        );
        break;
      case 1:
        parts.push(`<question id="n${i}" type="text" var="name" required="false"><prompt>Name?</prompt><validate cond="len(name) &lt; 40" message="Too long."/><next target="${next}"/></question>`);
        break;
      case 2:
        parts.push(`<decision id="n${i}"><next cond="score &gt; 10 and startsWith(lower(coalesce(name, '')), 'a')" target="${next}"><log expr="'high ' + score"/></next><next target="${next}"/></decision>`);
        break;
      default:
        parts.push(`<info id="n${i}"><prompt>Info ${i}, score <value expr="round(score / 2, 1)"/>.</prompt><next target="${next}"/></info>`);
    }
  }
  parts.push('<end id="done" outcome="ok"/>', '</script>');
  return parts.join('\n');
}

/** A cycle of ten text questions and a decision; XState gets the same states, guards and assignments. */
const LOOP = `<script id="loop" version="1">
<var name="count" type="number" expr="0"/>
${Array.from({ length: 10 }, (_, i) => `<question id="q${i}" type="text"><prompt>Q${i}</prompt><next target="${i < 9 ? `q${i + 1}` : 'check'}"><assign var="count" expr="count + 1"/></next></question>`).join('\n')}
<decision id="check"><next cond="count &gt;= 1000000000" target="done"/><next target="q0"/></decision>
<end id="done" outcome="ok"/>
</script>`;

function loopMachine() {
  const states: Record<string, unknown> = {};
  for (let i = 0; i < 10; i++) {
    states[`q${i}`] = {
      on: {
        ANSWER: {
          target: i < 9 ? `q${i + 1}` : 'check',
          actions: assign(({ context, event }) => ({ count: context.count + 1, answers: { ...context.answers, [`q${i}`]: (event as unknown as { value: string }).value } })),
        },
      },
    };
  }
  states['check'] = { always: [{ guard: ({ context }: { context: { count: number } }) => context.count >= 1_000_000_000, target: 'done' }, { target: 'q0' }] };
  states['done'] = { type: 'final' };
  return createMachine({ id: 'loop', initial: 'q0', context: { count: 0, answers: {} as Record<string, string> }, states } as never);
}

/** Steps per second of one session; `maxHistory` undefined: the runtime's default back-history. */
async function stepsPerSecond(bundle: ScriptBundle, n: number, maxHistory?: number): Promise<number> {
  const rt = new SessionRuntime({ services: { fetch: () => null, action: () => null }, ...(maxHistory === undefined ? {} : { maxHistory }) });
  let res = await rt.start(bundle, { id: 'b', hash: '', channel: 'agent' });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) res = await rt.answer(bundle, res.state, 'x');
  const ms = performance.now() - t0;
  if (res.state.status !== 'active') throw new Error('the loop ended');
  return (n / ms) * 1000;
}

async function xstateStepsPerSecond(n: number): Promise<number> {
  const actor = createActor(loopMachine()).start();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) actor.send({ type: 'ANSWER', value: 'x' });
  const ms = performance.now() - t0;
  if ((actor.getSnapshot().context as { count: number }).count !== n) throw new Error('xstate did not count');
  actor.stop();
  await Promise.resolve();
  return (n / ms) * 1000;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export default defineBenchmark({
  id: 'dialogue.engine',
  title: 'Dialogue engine: parse + validate, session steps vs XState v5, memory of sessions',
  async run(): Promise<BenchFigure[]> {
    const figures: BenchFigure[] = [];

    // 1. parse + validate
    const text = generatedScript(1000);
    const times: number[] = [];
    let nodes = 0;
    for (let r = 0; r < 9; r++) {
      const t0 = performance.now();
      const loaded = loadScriptBundle('big.xml', text, mapSourceReader({}));
      times.push(performance.now() - t0);
      if (!loaded.bundle) throw new Error(loaded.diagnostics.map(String).join('\n'));
      nodes = loaded.bundle.main.nodes.size;
    }
    const parse = roundsOf(times.slice(2));
    figures.push(roundsFigure({ name: `parse + validate a ${nodes}-node script (${Math.round(text.length / 1024)} KiB)`, unit: 'ms', rounds: parse, goal: '< 100 ms', met: parse.median < 100, note: '7 rounds after 2 warm-up runs' }));

    // 2. steps per second vs XState, interleaved rounds
    const loop = loadScriptBundle('loop.xml', LOOP, mapSourceReader({}));
    if (!loop.bundle) throw new Error(loop.diagnostics.map(String).join('\n'));
    await stepsPerSecond(loop.bundle, 5000);
    await stepsPerSecond(loop.bundle, 5000, 1);
    await xstateStepsPerSecond(5000);
    const r = await interleavedRounds(5, {
      ours: () => stepsPerSecond(loop.bundle!, 20_000),
      history1: () => stepsPerSecond(loop.bundle!, 20_000, 1),
      xstate: () => xstateStepsPerSecond(20_000),
    });
    figures.push(
      roundsFigure({
        name: 'session steps, default back-history (answer a question, assign, guarded transition)',
        unit: 'steps/s',
        rounds: r.ours,
        peer: { name: 'XState v5 actor.send, same machine', rounds: r.xstate },
        goal: 'faster than XState',
        met: r.ours.median > r.xstate.median,
        note: '5 rounds of 20,000 steps; ours includes the copy-on-write state, the back-history the runtime keeps by default and the rendered next step',
      }),
      roundsFigure({
        name: 'session steps, back-history of 1 (maxHistory: 1)',
        unit: 'steps/s',
        rounds: r.history1,
        peer: { name: 'XState v5 actor.send, same machine', rounds: r.xstate },
        note: 'same rounds; a session that keeps one step of history (no way back beyond it)',
      }),
    );

    // 3. memory of 10,000 sessions, each after a few answers (back-history included)
    const rt = new SessionRuntime({ services: { fetch: () => null, action: () => null } });
    gc();
    const before = process.memoryUsage().heapUsed;
    const held: SessionState[] = [];
    for (let i = 0; i < 10_000; i++) {
      let res = await rt.start(loop.bundle, { id: `s${i}`, hash: 'h', channel: 'web', vars: { caller: `+3212345${i}` } });
      for (let k = 0; k < 5; k++) res = await rt.answer(loop.bundle, res.state, `answer ${k} of session ${i}`);
      held.push(res.state);
    }
    gc();
    const mb = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    figures.push(singleRun({ name: '10,000 concurrent sessions (5 answers each, with back history)', value: mb, unit: 'MB', goal: '< 200 MB', met: mb < 200, note: `heap growth; ${held.length} sessions held` }));
    return figures;
  },
});
