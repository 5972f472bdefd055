// The whole-system load of examples/utility, run in a process of its own against a running assembly:
// callers are SIPp (real SIP and RTP, through the telephone menu with a key pressed, or the moves
// desk's direct line), e-mails arrive over SMTP, chats are opened by the web site's back end through
// the service manager and talked over WebSocket, every agent is a person at the desktop (REST and
// /ws/agent, /ws/chat) with a registered SIP phone, a supervisor watches the wallboard's live socket
// (/ws/monitor) and REST pollers read the wallboard.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { connectServiceManager, type RemoteServiceManager } from '@caruso/kernel';
import { ChatChannel } from '@caruso/comms';
import { makeTone } from '@caruso/comms/testing';
import { sendDemoMail } from '../demo-load/demo-mail.js';
import { AgentPhone } from './agent-phones.js';
import { DeskSession, RestSession, type DeskBehaviour } from './desk-session.js';
import { LoadStats, type SystemLoadReport } from './load-stats.js';

const LOOPBACK = '127.0.0.1';

/** A line callers dial: a number, the key pressed in its telephone menu (none: a direct line), its share of the calls. */
export interface CallerLine {
  readonly number: string;
  readonly dtmf?: string;
  readonly share: number;
}

/** Options of {@link SystemLoad} (JSON: sent by the parent process). */
export interface SystemLoadOptions {
  readonly frontOfficeUrl: string;
  readonly managerUrl: string;
  readonly accessToken: string;
  readonly sipPort: number;
  readonly smtpPort: number;
  readonly chatPort: number;
  readonly agents: ReadonlyArray<{ readonly user: string; readonly password: string; readonly phoneUser: string; readonly phonePassword: string }>;
  readonly supervisor: { readonly user: string; readonly password: string };
  readonly callsPerHour: number;
  readonly emailsPerHour: number;
  readonly chatsPerHour: number;
  readonly lines: readonly CallerLine[];
  /** How long contacts keep arriving. */
  readonly durationSeconds: number;
  /** How long the load waits afterwards for the last contacts to end. */
  readonly drainSeconds: number;
  readonly behaviour: DeskBehaviour;
  /** Whether the agents' phones talk back (RTP both ways). */
  readonly agentMedia: boolean;
  /** Supervisors polling GET /api/wallboard every 5 s. */
  readonly pollers: number;
  /** Callers' numbers and e-mail addresses (the demo customers). */
  readonly customers: ReadonlyArray<{ readonly phone: string; readonly email: string; readonly customerNumber: string; readonly name: string }>;
  /** A folder for SIPp's scenario, numbers and logs. */
  readonly workDir: string;
  /** First port of the RTP ranges of the SIPp callers (each line gets 2,000). */
  readonly sippRtpBase: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function scenario(dtmfFile: string | undefined, audio: string, waitMs: number): string {
  const key = dtmfFile ? `<pause milliseconds="700"/>\n  <nop><action><exec play_pcap_audio="${dtmfFile}"/></action></nop>\n  <pause milliseconds="500"/>` : '';
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="system-caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Klant" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Klant" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  ${key}
  <nop><action><exec rtp_stream="${audio},-1,0"/></action></nop>
  <recv request="BYE" timeout="${waitMs}"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <nop><action><exec rtp_stream="pause"/></action></nop>
</scenario>
`;
}

/** The load: start it, wait for {@link run}, read the report. */
export class SystemLoad {
  readonly stats = new LoadStats();
  private readonly desks: DeskSession[] = [];
  private readonly phones: AgentPhone[] = [];
  private readonly sipp: Array<{ child: ChildProcess; done: Promise<void> }> = [];
  private readonly chats = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private monitor: WebSocket | undefined;
  private manager: RemoteServiceManager | undefined;
  private stopped = false;
  private phoneTick: NodeJS.Timeout | undefined;

  constructor(private readonly options: SystemLoadOptions) {}

  /** Registers the phones, logs every agent in and makes it ready, attaches the supervisor's sockets. */
  async prepare(): Promise<void> {
    const o = this.options;
    const t0 = Date.now();
    // In batches: 180 log-ins at once would measure the password hashing, not the system.
    for (let i = 0; i < o.agents.length; i += 10) {
      const batch = o.agents.slice(i, i + 10);
      const phones = await Promise.all(batch.map((a) => AgentPhone.open(a.phoneUser, a.phonePassword, o.sipPort, { answerAfterMs: 300, talkBack: o.agentMedia })));
      this.phones.push(...phones);
      const desks = batch.map((a) => new DeskSession(o.frontOfficeUrl, a.user, a.password, o.behaviour, this.stats));
      await Promise.all(desks.map((d) => d.start()));
      this.desks.push(...desks);
      if (this.desks.length % 100 === 0) process.stderr.write(`system-load: ${this.desks.length} agents ready after ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    this.phoneTick = setInterval(() => {
      for (const p of this.phones) p.tick();
    }, 250);
    const supervisor = new RestSession(o.frontOfficeUrl, this.stats);
    const login = await supervisor.request('POST', '/api/session', { username: o.supervisor.user, password: o.supervisor.password });
    if (login.status !== 200) throw new Error(`log-in of the supervisor failed: HTTP ${login.status}`);
    this.monitor = await this.openMonitor(supervisor.cookieHeader);
    for (let i = 0; i < o.pollers; i++) {
      const poller = new RestSession(o.frontOfficeUrl, this.stats);
      if ((await poller.request('POST', '/api/session', { username: o.supervisor.user, password: o.supervisor.password })).status !== 200) throw new Error('log-in of a poller failed');
      this.every(5000, i * (5000 / Math.max(1, o.pollers)), async () => {
        const r = await poller.request('GET', '/api/wallboard');
        if (r.status !== 200) this.stats.error('wallboard', `${r.status}`);
      });
    }
    this.manager = await connectServiceManager(o.managerUrl, { accessToken: o.accessToken, name: 'system-load' });
  }

  private openMonitor(cookie: string): Promise<WebSocket> {
    const ws = new WebSocket(`${this.options.frontOfficeUrl.replace(/^http/, 'ws')}/ws/monitor`, { headers: { cookie } });
    ws.on('message', (data: WebSocket.RawData) => {
      this.stats.monitorFrames++;
      const frame = JSON.parse(data.toString()) as { type?: string; code?: string; topic?: string };
      if (frame.type === 'error') this.stats.error('monitor', `${frame.code ?? ''} ${frame.topic ?? ''}`);
    });
    ws.on('close', () => {
      if (!this.stopped) this.stats.error('ws-closed', '/ws/monitor closed');
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.on('error', (err) => this.stats.error('ws-error', `/ws/monitor: ${err.message}`));
        for (const topic of ['agents', 'queue:general', 'queue:billing', 'queue:moves', 'alerts']) ws.send(JSON.stringify({ type: 'subscribe', topic }));
        resolve(ws);
      });
      ws.once('error', reject);
    });
  }

  /** Runs `fn` every `ms` after `delayMs` until the arrivals stop. */
  private every(ms: number, delayMs: number, fn: () => Promise<void>): void {
    const tick = (): void => {
      if (this.stopped) return;
      fn().catch((err: unknown) => this.stats.error('timer', (err as Error).message));
      const t = setTimeout(tick, ms);
      this.timers.add(t);
    };
    const t = setTimeout(tick, delayMs);
    this.timers.add(t);
  }

  /** Poisson arrivals of `perHour` until the arrivals stop. */
  private arrivals(perHour: number, fn: () => Promise<void>): void {
    if (perHour <= 0) return;
    const next = (): void => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.stopped) return;
        fn().catch((err: unknown) => this.stats.error('arrival', (err as Error).message));
        next();
      }, -Math.log(1 - Math.random()) * (3_600_000 / perHour));
      this.timers.add(t);
    };
    next();
  }

  private startCallers(): void {
    const o = this.options;
    const numbers = join(o.workDir, 'callers.csv');
    writeFileSync(numbers, `SEQUENTIAL\n${o.customers.map((c) => `${c.phone};`).join('\n')}\n`);
    const audio = makeTone(join(o.workDir, 'caller-voice.wav'), 4, 440);
    const waitMs = Math.round((o.durationSeconds + o.drainSeconds + 60) * 1000);
    o.lines.forEach((line, i) => {
      const perHour = o.callsPerHour * line.share;
      const total = Math.round((perHour * o.durationSeconds) / 3600);
      if (total <= 0) return;
      const file = join(o.workDir, `caller-${i}.xml`);
      writeFileSync(file, scenario(line.dtmf === undefined ? undefined : `/usr/share/sip-tester/dtmf_2833_${line.dtmf}.pcap`, audio, waitMs));
      // One call every `period` ms (SIPp paces evenly), `total` calls in all.
      const period = Math.round(3_600_000 / perHour);
      this.stats.sent.call += total;
      let resolveDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (resolveDone = resolve));
      const entry = { child: undefined as unknown as ChildProcess, done };
      // SIPp exits with 254 when it cannot bind its media port (another program on this shared
      // machine holds it): then it made no call yet, and is started again on other ports.
      const startLine = (attempt: number): void => {
        const base = o.sippRtpBase + i * 2000 + attempt * 20_000;
        const args = [
          '-sf', file, '-inf', numbers, '-s', line.number, '-i', LOOPBACK, '-p', '0', '-mi', LOOPBACK, '-mp', String(base),
          '-r', '1', '-rp', String(period), '-m', String(total), '-l', '5000', '-nostdin',
          '-trace_err', '-error_file', join(o.workDir, `caller-${i}-errors.log`),
          `${LOOPBACK}:${o.sipPort}`,
        ];
        const startedAt = Date.now();
        const child = spawn('sipp', args, { cwd: o.workDir, stdio: ['ignore', 'pipe', 'pipe'] });
        entry.child = child;
        let output = '';
        child.stdout.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20_000); });
        child.stderr.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20_000); });
        child.on('error', (err) => this.stats.error('sipp', err.message));
        child.on('close', (code) => {
          const ok = Number(/Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(output)?.[1] ?? 0);
          const failed = Number(/Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(output)?.[1] ?? 0);
          if (code === 254 && ok + failed === 0 && attempt < 2 && Date.now() - startedAt < 10_000 && !this.stopped) {
            this.stats.note(`sipp-rebind-${line.number}`);
            startLine(attempt + 1);
            return;
          }
          this.stats.sipp.successful += ok;
          this.stats.sipp.failed += failed;
          if (code !== 0) this.stats.error('sipp', `line ${line.number} exited ${code}: ${ok} ok, ${failed} failed; ${output.slice(-600).replace(/\s+/g, ' ')}`);
          resolveDone();
        });
      };
      startLine(0);
      this.sipp.push(entry);
    });
  }

  private async mail(n: number): Promise<void> {
    const c = this.options.customers[n % this.options.customers.length];
    if (!c) return;
    this.stats.sent.email++;
    try {
      await sendDemoMail({ host: LOOPBACK, port: this.options.smtpPort }, {
        from: c.email, to: 'klantenservice@stadsenergie.example', subject: `Vraag over mijn nota (${n})`, text: `Goedendag,\n\nMijn klantnummer is ${c.customerNumber}. Klopt mijn voorschot?\n\nMet vriendelijke groet,\n${c.name}`,
      });
    } catch (err) {
      this.stats.error('smtp', (err as Error).message);
    }
  }

  private async chat(n: number): Promise<void> {
    const c = this.options.customers[n % this.options.customers.length];
    const remote = this.manager ? await this.manager.get(ChatChannel) : undefined;
    if (!remote || !c) return;
    const opened = await remote.openChat({ customerName: c.name, customerKey: c.customerNumber, subject: 'Vraag over mijn contract' });
    this.stats.sent.chat++;
    const ws = new WebSocket(`ws://${LOOPBACK}:${this.options.chatPort}/chat/customer`);
    const ended = new Promise<void>((resolve) => {
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'auth', token: opened.token }));
        ws.send(JSON.stringify({ type: 'message', text: 'Hallo, ik heb een vraag over mijn contract.' }));
      });
      let answered = false;
      ws.on('message', (data: WebSocket.RawData) => {
        const frame = JSON.parse(data.toString()) as { type?: string; from?: string; code?: string };
        if (frame.type === 'error') this.stats.error('chat-customer', frame.code ?? '');
        if (frame.type === 'message' && frame.from === 'agent' && !answered) {
          answered = true;
          ws.send(JSON.stringify({ type: 'message', text: 'Dank u, dat was mijn vraag.' }));
        }
        if (frame.type === 'ended') ws.close();
      });
      ws.on('error', (err) => this.stats.error('chat-customer', err.message));
      ws.on('close', () => resolve());
    });
    this.chats.add(ended);
    ended.then(() => this.chats.delete(ended), () => this.chats.delete(ended));
  }

  /**
   * Runs the arrivals for the configured duration, then waits (at most the drain time) until every
   * call, chat and desk is done. The report is whole after {@link close}.
   */
  async run(): Promise<void> {
    const o = this.options;
    // The figures are those of the run: the log-ins and sockets of the preparation are not in them.
    this.stats.restMs.length = 0;
    this.startCallers();
    let mails = 0;
    let chats = 0;
    this.arrivals(o.emailsPerHour, () => this.mail(mails++));
    this.arrivals(o.chatsPerHour, () => this.chat(chats++));
    await sleep(o.durationSeconds * 1000);
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    const drainEnd = Date.now() + o.drainSeconds * 1000;
    const pending = (): number => this.desks.reduce((n, d) => n + d.working, 0) + this.chats.size + this.sipp.length;
    await Promise.race([Promise.all(this.sipp.map((s) => s.done)), sleep(o.drainSeconds * 1000)]);
    while (Date.now() < drainEnd && this.desks.reduce((n, d) => n + d.working, 0) + this.chats.size > 0) await sleep(200);
    for (const s of this.sipp) if (s.child.exitCode === null) {
      this.stats.error('drain', 'SIPp still had calls at the end of the drain time');
      s.child.kill('SIGKILL');
    }
    await Promise.all(this.sipp.map((s) => s.done));
    if (pending() - this.sipp.length > 0) this.stats.error('drain', `${pending() - this.sipp.length} contacts still in hand at the end of the drain time`);
  }

  /** Closes every socket, phone and connection. */
  async close(): Promise<SystemLoadReport> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.phoneTick) clearInterval(this.phoneTick);
    for (const p of this.phones) p.tick();
    this.stats.agentRtpPackets = this.phones.reduce((n, p) => n + p.packetsReceived, 0);
    await Promise.all(this.desks.map((d) => d.stop(2000)));
    this.monitor?.close();
    await this.manager?.close().catch(() => undefined);
    await Promise.all(this.phones.map((p) => p.close()));
    for (const s of this.sipp) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    return this.stats.report();
  }
}
