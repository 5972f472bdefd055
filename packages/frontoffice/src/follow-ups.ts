/**
 * Tasks and follow-ups: tasks are created by people or by the `<followup>` rules of the application
 * when a record changes so that the rule's condition becomes true; a `call` task, when due on the
 * server's clock, becomes a callback contact of the communication server linked to the record.
 */
import { DisposableStore, evaluateExpression, safeTimeout, toDisposable, type Logger } from '@caruso/kernel';
import type { CommunicationServer } from '@caruso/comms';
import type { BusinessObjects, ObjectChangeEvent, ObjectRecord } from '@caruso/objects';
import type { Application, FollowUpRule } from './common/application.js';
import type { CrmStore, Task } from './crm-store.js';

/** The longest a timer waits before looking again (a clock shifted meanwhile is seen within it). */
const MAX_TIMER_MS = 60_000;

/** The milliseconds of an ISO 8601 duration (`P7D`, `PT2H30M`, `P1W`); undefined when it is none. Months and years are not accepted (their length varies). */
export function isoDurationMs(text: string): number | undefined {
  const m = /^P(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?(?:(\d{1,9})S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, w, d, h, min, s] = m.map((x) => Number(x ?? 0));
  return ((((w as number) * 7 + (d as number)) * 24 + (h as number)) * 60 + (min as number)) * 60_000 + (s as number) * 1000;
}

/** Fills `{{field}}` of a rule's title from the record. */
export function fillTitle(template: string, record: ObjectRecord): string {
  return template.replace(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g, (_all, name: string) => {
    const v = record[name];
    return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }).slice(0, 200);
}

export interface FollowUpsDeps {
  readonly app: Application;
  readonly objects: BusinessObjects;
  readonly store: CrmStore;
  readonly comms: () => CommunicationServer;
  readonly logger: Logger;
  readonly userExists: (name: string) => Promise<boolean>;
  /** The agent id of a user (the queues of a call task assigned to a user). */
  readonly agentOf: (name: string) => Promise<string | undefined>;
}

/** The follow-up rules and the timer of due call tasks. */
export class FollowUps {
  private readonly disposables = new DisposableStore();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: FollowUpsDeps) {
    this.disposables.add(toDisposable(() => {
      if (this.timer) clearTimeout(this.timer);
    }));
    const watched = new Set((deps.app.followUps ?? []).map((r) => r.object));
    // Every committed write of a watched object, whoever made it: the front office's routes, an
    // import, a dialogue script's action, a service wrapper. Only the objects with rules are listened to.
    if (watched.size) this.disposables.add(deps.objects.onDidChange((e) => this.onDidChange(e, watched)));
  }

  private onDidChange(e: ObjectChangeEvent, watched: ReadonlySet<string>): void {
    if (this.stopped || !watched.has(e.object) || (e.kind !== 'created' && e.kind !== 'updated')) return;
    // The task's author: the user's name behind `user:anna` or `import:user:anna`, else the writer as named.
    const actor = e.actor === null ? 'system' : e.actor.replace(/^(?:import:)?user:/, '');
    this.recordChanged(e.object, e.id, e.kind === 'updated' ? e.before : undefined, e.after, actor).catch((err: unknown) => this.deps.logger.warn({ object: e.object, err: (err as Error).message }, 'follow-up rules failed'));
  }

  userExists(name: string): Promise<boolean> {
    return this.deps.userExists(name);
  }

  /** Arms the timer for the call tasks due (also those that fell due while the server was down). */
  start(): void {
    this.rearm();
  }

  dispose(): void {
    this.stopped = true;
    this.disposables.dispose();
  }

  async createTask(t: Omit<Task, 'id' | 'createdAt' | 'done' | 'callbackId'>): Promise<Task> {
    const task = await this.deps.store.addTask(t);
    if (task.kind === 'call') this.rearm();
    return task;
  }

  async updateTask(id: string, change: Parameters<CrmStore['updateTask']>[1]): Promise<Task | undefined> {
    const t = await this.deps.store.updateTask(id, change);
    if (t?.kind === 'call') this.rearm();
    return t;
  }

  /**
   * A record was created (`before` undefined) or changed: each rule of its object whose condition is
   * true now and was not before creates its task. Errors are logged, never thrown to the writer.
   */
  async recordChanged(object: string, key: string, before: ObjectRecord | undefined, after: ObjectRecord, actor: string): Promise<Task[]> {
    const out: Task[] = [];
    for (const rule of this.deps.app.followUps ?? []) {
      if (rule.object !== object) continue;
      try {
        if (!this.holds(rule, after) || (before !== undefined && this.holds(rule, before))) continue;
        out.push(await this.createTask({
          object, recordKey: key, title: fillTitle(rule.title, after), kind: rule.kind, note: null,
          due: this.deps.comms().now() + rule.afterMs, assignee: rule.queue !== undefined ? { queue: rule.queue } : rule.user !== undefined ? { user: rule.user } : {},
          createdBy: actor, rule: rule.name,
        }));
      } catch (err) {
        this.deps.logger.warn({ rule: rule.name, err: (err as Error).message }, 'follow-up rule failed');
      }
    }
    return out;
  }

  private holds(rule: FollowUpRule, record: ObjectRecord): boolean {
    const v = evaluateExpression(rule.when.ast, { lookup: (name) => record[name] as never, now: () => this.deps.comms().now() });
    return v === true;
  }

  private rearm(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.deps.store.nextCallDue().then(
      (due) => {
        if (due === undefined || this.stopped) return;
        const wait = Math.max(0, Math.min(MAX_TIMER_MS, due - this.deps.comms().now()));
        if (this.timer) clearTimeout(this.timer);
        this.timer = safeTimeout('frontoffice.follow-ups', () => this.fire(), wait);
      },
      (err: unknown) => this.deps.logger.warn({ err: (err as Error).message }, 'follow-ups: reading due tasks failed'),
    );
  }

  /** Turns the due call tasks into callback contacts, then arms the timer again. */
  fire(): Promise<void> {
    this.running ??= this.fireDue().finally(() => {
      this.running = undefined;
      this.rearm();
    });
    return this.running;
  }

  private async fireDue(): Promise<void> {
    const comms = this.deps.comms();
    const now = comms.now();
    for (const t of await this.deps.store.dueCalls(now)) {
      try {
        const callee = await this.calleeOf(t);
        const number = callee?.number;
        const queueId = await this.queueOf(t);
        if (!number || !queueId) {
          this.deps.logger.warn({ task: t.id, number: number !== undefined, queue: queueId !== undefined }, 'a due call task has no phone number or queue: left as a task');
          await this.deps.store.claimCall(t.id, '');
          continue;
        }
        const id = `task-${t.id}`;
        // The callback id is the task's: a second process (or a retry) gets CARUSO_COMMS_DUPLICATE, not a second call.
        await comms.scheduleCallback({ id, number, queueId, at: now, data: { customer: callee?.customer ?? { object: t.object, id: t.recordKey }, taskId: t.id, title: t.title, record: { object: t.object, id: t.recordKey } } }).catch((err: unknown) => {
          if ((err as { code?: string }).code !== 'CARUSO_COMMS_DUPLICATE') throw err;
        });
        await this.deps.store.claimCall(t.id, id);
      } catch (err) {
        this.deps.logger.warn({ task: t.id, err: (err as Error).message }, 'a due call task could not become a callback');
      }
    }
  }

  /**
   * Whom a call task calls: the record's first phone number, else that of the record a many-to-one
   * relation of it points to (a complaint's customer). The callback is linked to the record that has the number.
   */
  private async calleeOf(t: Task): Promise<{ number: string; customer: { object: string; id: string } } | undefined> {
    const read = async (object: string, key: string): Promise<ObjectRecord | undefined> => {
      const repo = this.deps.objects.repository(object);
      const keyField = repo.object.fields.find((f) => f.name === repo.object.key[0]);
      return repo.get(/^\d{1,15}$/.test(key) && keyField?.type !== 'string' ? Number(key) : key);
    };
    const phone = (object: string, rec: ObjectRecord): string | undefined => {
      for (const f of this.deps.objects.repository(object).object.fields) {
        const v = rec[f.name];
        if (f.type === 'phone' && typeof v === 'string' && v !== '') return v.replace(/[^\d+]/g, '');
      }
      return undefined;
    };
    const rec = await read(t.object, t.recordKey);
    if (!rec) return undefined;
    const own = phone(t.object, rec);
    if (own) return { number: own, customer: { object: t.object, id: t.recordKey } };
    for (const r of this.deps.objects.repository(t.object).object.relations) {
      const fk = r.fields[0];
      if (r.kind !== 'many-to-one' || r.fields.length !== 1 || fk === undefined || rec[fk] === null || rec[fk] === undefined) continue;
      const target = await read(r.target, String(rec[fk]));
      const n = target ? phone(r.target, target) : undefined;
      if (n) return { number: n, customer: { object: r.target, id: String(rec[fk]) } };
    }
    return undefined;
  }

  private async queueOf(t: Task): Promise<string | undefined> {
    if (t.assignee.queue !== undefined) return t.assignee.queue;
    const agent = t.assignee.user !== undefined ? await this.deps.agentOf(t.assignee.user) : undefined;
    if (agent === undefined) return undefined;
    try {
      return this.deps.comms().agentQueues(agent).selected[0]?.queue ?? this.deps.comms().agentQueues(agent).configured[0]?.queue;
    } catch {
      return undefined;
    }
  }
}
