// One simulated person at the agent desktop, through the same API the browser page uses: log-in
// (POST /api/session), the /ws/agent and /ws/chat sockets, accept offers, run the queue's script over
// REST, talk (wait), end the contact and file the wrap-up, ready again.
import WebSocket from 'ws';
import type { LoadStats } from './load-stats.js';

/** A small REST client with the session cookie and CSRF token; every request is timed into the stats. */
export class RestSession {
  private readonly cookies = new Map<string, string>();
  private csrf: string | undefined;

  constructor(readonly base: string, private readonly stats: LoadStats) {}

  /** The Cookie header of the session (for the sockets). */
  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /**
   * Sends a request; resolves with the status and the parsed body (status 0: no answer). A 5xx or a
   * failed connection is counted as an error of kind `rest`.
   */
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers['cookie'] = this.cookieHeader;
    if (this.csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const t0 = performance.now();
    try {
      const res = await fetch(`${this.base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), redirect: 'manual' });
      const text = await res.text();
      this.stats.restMs.push(performance.now() - t0);
      for (const c of res.headers.getSetCookie()) {
        const pair = c.split(';')[0] ?? '';
        const i = pair.indexOf('=');
        if (i <= 0) continue;
        if (i === pair.length - 1) this.cookies.delete(pair.slice(0, i));
        else this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
      }
      let parsed: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text) as unknown;
      const csrf = (parsed as { csrf?: unknown } | null)?.csrf;
      if (typeof csrf === 'string') this.csrf = csrf;
      if (res.status >= 500) this.stats.error('rest-5xx', `${method} ${path.replace(/\/[0-9a-f-]{8,}[^/]*/gi, '/:id')} → ${res.status} ${text.slice(0, 200)}`);
      return { status: res.status, body: parsed };
    } catch (err) {
      this.stats.error('rest-failed', `${method} ${path}: ${(err as Error).message}`);
      return { status: 0, body: undefined };
    }
  }
}

/** How a simulated agent works (seconds). */
export interface DeskBehaviour {
  /** Mean talk time of a call (uniform from half to one and a half times it, so a run drains in bounded time). */
  readonly talkSeconds: number;
  /** Mean handling time of an e-mail or a chat. */
  readonly handleSeconds: number;
  /** Time between ending a contact and filing its wrap-up. */
  readonly wrapUpSeconds: number;
  /** Script steps answered per call at most. */
  readonly scriptSteps: number;
  /** Test only: drop every n-th wrap-up (0: never) to see the smoke test catch it. */
  readonly dropWrapUpEvery?: number;
}

type OfferFrame = { type: 'offer'; offer: { offerId: string; contactId: string; channel: string; agentId: string } };
type StepView = { sessionId?: string; revision?: number; status?: string; step?: { kind?: string; type?: string; choices?: Array<{ value: unknown }> } };

const around = (mean: number): number => mean * (0.5 + Math.random());
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A person at the agent desktop. */
export class DeskSession {
  private agentSocket: WebSocket | undefined;
  private chatSocket: WebSocket | undefined;
  private ping: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly busy = new Set<Promise<void>>();
  private readonly joined = new Map<string, () => void>();
  private wrapUps = 0;
  readonly rest: RestSession;
  agentId = '';

  constructor(base: string, private readonly user: string, private readonly password: string, private readonly behaviour: DeskBehaviour, private readonly stats: LoadStats) {
    this.rest = new RestSession(base, stats);
  }

  /** Contacts this desk is working on now. */
  get working(): number {
    return this.busy.size;
  }

  /** Logs in, opens the sockets and makes the agent ready. */
  async start(): Promise<void> {
    const login = await this.rest.request('POST', '/api/session', { username: this.user, password: this.password });
    if (login.status !== 200) throw new Error(`log-in of ${this.user} failed: HTTP ${login.status}`);
    this.agentSocket = await this.open('/ws/agent', (frame) => this.onAgentFrame(frame));
    this.chatSocket = await this.open('/ws/chat', (frame) => this.onChatFrame(frame));
    this.ping = setInterval(() => this.send(this.agentSocket, { type: 'ping' }), 10_000);
    const ready = await this.rest.request('POST', '/api/agent/ready', {});
    if (ready.status !== 200) throw new Error(`${this.user} could not get ready: HTTP ${ready.status}`);
    this.agentId = (ready.body as { agent: { id: string } }).agent.id;
  }

  private open(path: string, onFrame: (frame: Record<string, unknown>) => void): Promise<WebSocket> {
    const url = `${this.rest.base.replace(/^http/, 'ws')}${path}`;
    const ws = new WebSocket(url, { headers: { cookie: this.rest.cookieHeader } });
    ws.on('message', (data: WebSocket.RawData) => {
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        this.stats.error('ws-frame', `${path}: not JSON`);
        return;
      }
      onFrame(frame);
    });
    ws.on('close', (code) => {
      if (!this.closing) this.stats.error('ws-closed', `${this.user} ${path} closed (${code})`);
    });
    return new Promise<WebSocket>((resolve, reject) => {
      ws.once('open', () => {
        ws.on('error', (err) => this.stats.error('ws-error', `${this.user} ${path}: ${err.message}`));
        resolve(ws);
      });
      ws.once('error', (err) => reject(new Error(`${this.user} ${path}: ${err.message}`)));
    });
  }

  private send(ws: WebSocket | undefined, frame: unknown): void {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  private onAgentFrame(frame: Record<string, unknown>): void {
    if (frame['type'] === 'error') this.stats.error('ws-agent-error', JSON.stringify(frame));
    if (frame['type'] !== 'offer') return;
    const { offer } = frame as OfferFrame;
    this.stats.offers.push({ contactId: offer.contactId, agentId: offer.agentId, channel: offer.channel, at: Date.now() });
    const work = this.handle(offer.offerId, offer.contactId, offer.channel).catch((err: unknown) => this.stats.error('desk', `${this.user}: ${(err as Error).message}`));
    this.busy.add(work);
    work.then(() => this.busy.delete(work), () => this.busy.delete(work));
  }

  private onChatFrame(frame: Record<string, unknown>): void {
    if (frame['type'] === 'error') {
      // The visitor left first (their patience ran out while the agent typed): the agent's message or
      // leave finds no chat, as a hang-up finds no call (404). Anything else is an error.
      if (frame['code'] === 'CARUSO_COMMS_CHAT_UNKNOWN_CHAT') this.stats.note('chat-gone');
      else this.stats.error('ws-chat-error', JSON.stringify(frame));
    }
    if (frame['type'] === 'joined' && typeof frame['chatId'] === 'string') {
      this.joined.get(frame['chatId'])?.();
      this.joined.delete(frame['chatId']);
    }
  }

  private async handle(offerId: string, contactId: string, channel: string): Promise<void> {
    const joined = channel === 'chat' ? new Promise<void>((r) => this.joined.set(contactId, r)) : undefined;
    const accept = await this.rest.request('POST', `/api/agent/offers/${encodeURIComponent(offerId)}/accept`);
    if (accept.status === 404 || accept.status === 409) {
      // Withdrawn meanwhile (the ring time-out, the caller hung up): nothing of this contact is ours.
      this.joined.delete(contactId);
      this.stats.note(`offer-gone-${accept.status}`);
      return;
    }
    if (accept.status !== 200) {
      this.joined.delete(contactId);
      if (accept.status !== 0 && accept.status < 500) this.stats.error('accept', `${channel} ${accept.status} ${JSON.stringify(accept.body).slice(0, 200)}`);
      return;
    }
    const id = encodeURIComponent(contactId);
    if (channel === 'call') {
      await this.runScript(contactId);
      await sleep(Math.max(1000, around(this.behaviour.talkSeconds * 1000)));
    } else if (channel === 'chat') {
      await Promise.race([joined, sleep(10_000)]);
      this.send(this.chatSocket, { type: 'message', chatId: contactId, text: 'Goedemiddag, waarmee kan ik u helpen?' });
      await sleep(Math.max(500, around(this.behaviour.handleSeconds * 1000)));
    } else if (channel === 'email') {
      const read = await this.rest.request('GET', `/api/contacts/${id}/email`);
      if (read.status !== 200) this.stats.error('email-read', `${read.status}`);
      await sleep(Math.max(500, around(this.behaviour.handleSeconds * 1000)));
      const reply = await this.rest.request('POST', `/api/contacts/${id}/email/reply`, { text: 'Dank voor uw bericht. Wij hebben het verwerkt.' });
      if (reply.status !== 201) this.stats.error('email-reply', `${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
    }
    if (channel === 'chat') this.send(this.chatSocket, { type: 'leave', chatId: contactId });
    else {
      const end = await this.rest.request('POST', `/api/contacts/${id}/hang-up`);
      // 404: the customer ended it first (it is then the agent's wrap-up all the same).
      if (end.status !== 200 && end.status !== 404) this.stats.error('hang-up', `${channel} ${end.status} ${JSON.stringify(end.body).slice(0, 200)}`);
    }
    await sleep(this.behaviour.wrapUpSeconds * 1000);
    this.wrapUps++;
    if (this.behaviour.dropWrapUpEvery && this.wrapUps % this.behaviour.dropWrapUpEvery === 0) return;
    const wrap = await this.wrapUp(contactId);
    if (wrap.status !== 200) {
      this.stats.error('wrap-up', `${channel} ${wrap.status} ${JSON.stringify(wrap.body).slice(0, 200)}`);
      return;
    }
    this.stats.handled[channel as 'call' | 'email' | 'chat']++;
    if ((wrap.body as { agent?: { state?: string } }).agent?.state === 'wrap-up') {
      const ready = await this.rest.request('POST', '/api/agent/ready', {});
      if (ready.status !== 200) this.stats.error('ready', `${ready.status}`);
    }
  }

  private async wrapUp(contactId: string): Promise<{ status: number; body: unknown }> {
    const path = `/api/contacts/${encodeURIComponent(contactId)}/wrap-up`;
    let r = await this.rest.request('POST', path, { code: 'opgelost', notes: 'systeemtest' });
    // A chat's end (the leave frame) reaches the communication server a moment after it was sent.
    for (let i = 0; i < 20 && r.status === 409; i++) {
      await sleep(100);
      r = await this.rest.request('POST', path, { code: 'opgelost', notes: 'systeemtest' });
    }
    return r;
  }

  /** Starts the queue's script for the call and answers a few of its questions, as an agent would. */
  private async runScript(contactId: string): Promise<void> {
    const started = await this.rest.request('POST', '/api/scripts/sessions', { contactId });
    if (started.status !== 201 && started.status !== 200) {
      if (started.status !== 404) this.stats.error('script-start', `${started.status} ${JSON.stringify(started.body).slice(0, 200)}`);
      return;
    }
    let view = started.body as StepView;
    for (let i = 0; i < this.behaviour.scriptSteps && view.status === 'active' && view.sessionId; i++) {
      const step = view.step ?? {};
      if (step.kind !== 'question' && step.kind !== 'info') break;
      const value = step.kind === 'info' ? null : answerFor(step.type, step.choices);
      await sleep(300 + Math.random() * 700);
      const r = await this.rest.request('POST', `/api/scripts/sessions/${encodeURIComponent(view.sessionId)}/answer`, { value, revision: view.revision });
      if (r.status !== 200) {
        // A value the script does not take is the agent's mistake, not the system's.
        if (r.status >= 400 && r.status < 500) this.stats.note(`script-answer-${r.status}`);
        return;
      }
      this.stats.scriptSteps++;
      view = r.body as StepView;
    }
  }

  /** Waits (bounded) until the contacts in hand are done, then closes the sockets. */
  async stop(timeoutMs = 10_000): Promise<void> {
    await Promise.race([Promise.allSettled([...this.busy]), sleep(timeoutMs)]);
    this.closing = true;
    if (this.ping) clearInterval(this.ping);
    for (const ws of [this.agentSocket, this.chatSocket]) ws?.close();
  }
}

function answerFor(type: string | undefined, choices: Array<{ value: unknown }> | undefined): unknown {
  if (choices?.length) return choices[0]?.value;
  switch (type) {
    case 'boolean':
      return true;
    case 'number':
    case 'integer':
      return 1;
    case 'date':
      return new Date().toISOString().slice(0, 10);
    default:
      return 'systeemtest';
  }
}
