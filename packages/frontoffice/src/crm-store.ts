/**
 * The CRM tables of the front office (migration `0008-crm` of scope `frontoffice`): notes on records,
 * tasks and follow-ups, the administrative audit, the users' saved list filters, and the users'
 * account state (active, a password change required, the last log-in). See docs/crm-api.md.
 */
import { randomUUID } from 'node:crypto';
import type { Migration, StorageManager } from '@caruso/storage';

export const NOTES_TABLE = 'caruso_fo_notes';
export const TASKS_TABLE = 'caruso_fo_tasks';
export const AUDIT_LOG_TABLE = 'caruso_fo_audit';
export const SAVED_FILTERS_TABLE = 'caruso_fo_saved_filters';
/** The users table as migration 0001 made it (a migration names tables as they were). */
const USERS = 'caruso_fo_users';

/** How long the author of a note may change or delete it (ms). */
export const NOTE_EDIT_WINDOW_MS = 15 * 60_000;

export const CRM_MIGRATION: Migration = {
  id: '0008-crm',
  up: async (trx) => {
    await trx.schema.createTable(NOTES_TABLE, (t) => {
      t.string('id', 40).primary();
      t.string('object', 100).notNullable();
      t.string('record_key', 200).notNullable();
      t.string('author', 64).notNullable();
      t.text('text').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.index(['object', 'record_key']);
    });
    await trx.schema.createTable(TASKS_TABLE, (t) => {
      t.string('id', 40).primary();
      t.string('object', 100).notNullable();
      t.string('record_key', 200).notNullable();
      t.string('title', 200).notNullable();
      t.string('kind', 10).notNullable();
      t.text('note').nullable();
      t.bigInteger('due').notNullable().index();
      t.string('assignee_user', 64).nullable().index();
      t.string('assignee_queue', 100).nullable().index();
      t.boolean('done').notNullable().defaultTo(false);
      t.string('created_by', 100).notNullable();
      t.bigInteger('created_at').notNullable();
      t.string('rule', 200).nullable();
      // A `call` task once due: the callback contact it became (null until then).
      t.string('callback_id', 128).nullable();
      t.index(['object', 'record_key']);
    });
    await trx.schema.createTable(AUDIT_LOG_TABLE, (t) => {
      t.increments('id');
      t.bigInteger('at').notNullable().index();
      t.string('actor', 64).notNullable();
      t.string('action', 40).notNullable();
      t.string('target', 200).nullable();
      t.text('detail').nullable();
    });
    await trx.schema.createTable(SAVED_FILTERS_TABLE, (t) => {
      t.string('user_name', 64).notNullable();
      t.string('list', 100).notNullable();
      t.string('name', 100).notNullable();
      t.text('query').notNullable();
      t.bigInteger('created_at').notNullable();
      t.primary(['user_name', 'list', 'name']);
    });
    await trx.schema.alterTable(USERS, (t) => {
      t.boolean('active').notNullable().defaultTo(true);
      t.boolean('must_change_password').notNullable().defaultTo(false);
      t.bigInteger('last_login').nullable();
    });
  },
};

export interface Note {
  readonly id: string;
  readonly object: string;
  readonly recordKey: string;
  readonly author: string;
  readonly text: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type TaskKind = 'todo' | 'call';

export interface Task {
  readonly id: string;
  readonly object: string;
  readonly recordKey: string;
  readonly title: string;
  readonly kind: TaskKind;
  readonly note: string | null;
  readonly due: number;
  readonly assignee: { readonly user?: string; readonly queue?: string };
  readonly done: boolean;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly rule: string | null;
  readonly callbackId: string | null;
}

export interface AuditRecord {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly detail: string | null;
}

export interface SavedFilter {
  readonly name: string;
  readonly query: string;
}

/** A user's account state besides the role. */
export interface Account {
  readonly active: boolean;
  readonly mustChangePassword: boolean;
  readonly lastLogin: number | null;
}

type Row = Record<string, unknown>;

const noteOf = (r: Row): Note => ({
  id: String(r['id']),
  object: String(r['object']),
  recordKey: String(r['record_key']),
  author: String(r['author']),
  text: String(r['text']),
  createdAt: Number(r['created_at']),
  updatedAt: Number(r['updated_at']),
});

const taskOf = (r: Row): Task => ({
  id: String(r['id']),
  object: String(r['object']),
  recordKey: String(r['record_key']),
  title: String(r['title']),
  kind: r['kind'] === 'call' ? 'call' : 'todo',
  note: (r['note'] as string | null) ?? null,
  due: Number(r['due']),
  assignee: { ...(r['assignee_user'] ? { user: String(r['assignee_user']) } : {}), ...(r['assignee_queue'] ? { queue: String(r['assignee_queue']) } : {}) },
  done: Boolean(r['done']),
  createdBy: String(r['created_by']),
  createdAt: Number(r['created_at']),
  rule: (r['rule'] as string | null) ?? null,
  callbackId: (r['callback_id'] as string | null) ?? null,
});

/** What the task list asks for. */
export interface TaskQuery {
  readonly user?: string;
  readonly queue?: string;
  readonly object?: string;
  readonly recordKey?: string;
  readonly done?: boolean;
  readonly dueFrom?: number;
  readonly dueBefore?: number;
  readonly limit?: number;
}

/** Notes, tasks, the audit, saved filters and account state, on the storage manager. */
export class CrmStore {
  constructor(
    private readonly storage: StorageManager,
    private readonly now: () => number,
  ) {}

  // ---- notes
  async addNote(n: Pick<Note, 'object' | 'recordKey' | 'author' | 'text'>): Promise<Note> {
    const at = this.now();
    const note: Note = { id: randomUUID(), ...n, createdAt: at, updatedAt: at };
    await this.storage.knex(NOTES_TABLE).insert({ id: note.id, object: n.object, record_key: n.recordKey, author: n.author, text: n.text, created_at: at, updated_at: at });
    return note;
  }

  async note(id: string): Promise<Note | undefined> {
    const r = (await this.storage.knex(NOTES_TABLE).where({ id }).first()) as Row | undefined;
    return r ? noteOf(r) : undefined;
  }

  async notesOf(object: string, recordKey: string): Promise<Note[]> {
    const rows = (await this.storage.knex(NOTES_TABLE).where({ object, record_key: recordKey }).orderBy('created_at', 'desc').limit(1000)) as Row[];
    return rows.map(noteOf);
  }

  async updateNote(id: string, text: string): Promise<Note | undefined> {
    await this.storage.knex(NOTES_TABLE).where({ id }).update({ text, updated_at: this.now() });
    return this.note(id);
  }

  async deleteNote(id: string): Promise<boolean> {
    return Number(await this.storage.knex(NOTES_TABLE).where({ id }).delete()) > 0;
  }

  /** Moves the notes and tasks of a merged record to the kept one. */
  async relink(object: string, fromKey: string, toKey: string): Promise<void> {
    await this.storage.transaction(async (trx) => {
      await trx.knex(NOTES_TABLE).where({ object, record_key: fromKey }).update({ record_key: toKey });
      await trx.knex(TASKS_TABLE).where({ object, record_key: fromKey }).update({ record_key: toKey });
    });
  }

  // ---- tasks
  async addTask(t: Omit<Task, 'id' | 'createdAt' | 'done' | 'callbackId'>): Promise<Task> {
    const task: Task = { ...t, id: randomUUID(), createdAt: this.now(), done: false, callbackId: null };
    await this.storage.knex(TASKS_TABLE).insert({
      id: task.id,
      object: t.object,
      record_key: t.recordKey,
      title: t.title,
      kind: t.kind,
      note: t.note,
      due: t.due,
      assignee_user: t.assignee.user ?? null,
      assignee_queue: t.assignee.queue ?? null,
      done: false,
      created_by: t.createdBy,
      created_at: task.createdAt,
      rule: t.rule,
      callback_id: null,
    });
    return task;
  }

  async task(id: string): Promise<Task | undefined> {
    const r = (await this.storage.knex(TASKS_TABLE).where({ id }).first()) as Row | undefined;
    return r ? taskOf(r) : undefined;
  }

  async tasks(q: TaskQuery): Promise<Task[]> {
    let k = this.storage.knex(TASKS_TABLE);
    if (q.user !== undefined) k = k.where({ assignee_user: q.user });
    if (q.queue !== undefined) k = k.where({ assignee_queue: q.queue });
    if (q.object !== undefined) k = k.where({ object: q.object });
    if (q.recordKey !== undefined) k = k.where({ record_key: q.recordKey });
    if (q.done !== undefined) k = k.where({ done: q.done });
    if (q.dueFrom !== undefined) k = k.where('due', '>=', q.dueFrom);
    if (q.dueBefore !== undefined) k = k.where('due', '<', q.dueBefore);
    const rows = (await k.orderBy('due').orderBy('id').limit(q.limit ?? 500)) as Row[];
    return rows.map(taskOf);
  }

  async updateTask(id: string, change: { readonly done?: boolean; readonly due?: number; readonly title?: string; readonly assignee?: Task['assignee'] }): Promise<Task | undefined> {
    const row: Row = {};
    if (change.done !== undefined) row['done'] = change.done;
    if (change.due !== undefined) row['due'] = change.due;
    if (change.title !== undefined) row['title'] = change.title;
    if (change.assignee !== undefined) {
      row['assignee_user'] = change.assignee.user ?? null;
      row['assignee_queue'] = change.assignee.queue ?? null;
    }
    if (Object.keys(row).length) await this.storage.knex(TASKS_TABLE).where({ id }).update(row);
    return this.task(id);
  }

  async deleteTask(id: string): Promise<boolean> {
    return Number(await this.storage.knex(TASKS_TABLE).where({ id }).delete()) > 0;
  }

  /** The `call` tasks not done whose callback is not made yet, due before `before`. */
  async dueCalls(before: number): Promise<Task[]> {
    const rows = (await this.storage.knex(TASKS_TABLE).where({ kind: 'call', done: false }).whereNull('callback_id').andWhere('due', '<=', before).orderBy('due').limit(200)) as Row[];
    return rows.map(taskOf);
  }

  /** The next due time of a `call` task waiting for its callback, or undefined. */
  async nextCallDue(): Promise<number | undefined> {
    const r = (await this.storage.knex(TASKS_TABLE).where({ kind: 'call', done: false }).whereNull('callback_id').min({ due: 'due' }).first()) as { due: number | string | null } | undefined;
    return r?.due === null || r?.due === undefined ? undefined : Number(r.due);
  }

  /** Marks that a `call` task became a callback contact; false when another process did it first. */
  async claimCall(id: string, callbackId: string): Promise<boolean> {
    return Number(await this.storage.knex(TASKS_TABLE).where({ id }).whereNull('callback_id').update({ callback_id: callbackId })) > 0;
  }

  // ---- audit
  async audit(actor: string, action: string, target: string | null, detail?: Record<string, unknown>): Promise<void> {
    await this.storage.knex(AUDIT_LOG_TABLE).insert({ at: this.now(), actor, action, target, detail: detail === undefined ? null : JSON.stringify(detail) });
  }

  async auditLog(limit: number, before?: number): Promise<AuditRecord[]> {
    let k = this.storage.knex(AUDIT_LOG_TABLE);
    if (before !== undefined) k = k.where('id', '<', before);
    const rows = (await k.orderBy('id', 'desc').limit(limit)) as Row[];
    return rows.map((r) => ({ id: Number(r['id']), at: Number(r['at']), actor: String(r['actor']), action: String(r['action']), target: (r['target'] as string | null) ?? null, detail: (r['detail'] as string | null) ?? null }));
  }

  // ---- saved filters
  async filters(user: string, list: string): Promise<SavedFilter[]> {
    const rows = (await this.storage.knex(SAVED_FILTERS_TABLE).where({ user_name: user, list }).orderBy('name')) as Row[];
    return rows.map((r) => ({ name: String(r['name']), query: String(r['query']) }));
  }

  async saveFilter(user: string, list: string, f: SavedFilter): Promise<void> {
    const row = { query: f.query, created_at: this.now() };
    await this.storage.knex(SAVED_FILTERS_TABLE).insert({ user_name: user, list, name: f.name, ...row }).onConflict(['user_name', 'list', 'name']).merge(row);
  }

  async deleteFilter(user: string, list: string, name: string): Promise<boolean> {
    return Number(await this.storage.knex(SAVED_FILTERS_TABLE).where({ user_name: user, list, name }).delete()) > 0;
  }

  // ---- accounts
  async account(name: string): Promise<Account | undefined> {
    const r = (await this.storage.knex(USERS).where({ name }).first('active', 'must_change_password', 'last_login')) as Row | undefined;
    return r ? { active: Boolean(r['active']), mustChangePassword: Boolean(r['must_change_password']), lastLogin: r['last_login'] === null ? null : Number(r['last_login']) } : undefined;
  }

  async accounts(): Promise<Map<string, Account>> {
    const rows = (await this.storage.knex(USERS).select('name', 'active', 'must_change_password', 'last_login')) as Row[];
    return new Map(rows.map((r) => [String(r['name']), { active: Boolean(r['active']), mustChangePassword: Boolean(r['must_change_password']), lastLogin: r['last_login'] === null ? null : Number(r['last_login']) }]));
  }

  async setAccount(name: string, change: { readonly active?: boolean; readonly mustChangePassword?: boolean; readonly lastLogin?: number; readonly role?: string; readonly agentId?: string | null; readonly passwordHash?: string }): Promise<boolean> {
    const row: Row = {};
    if (change.active !== undefined) row['active'] = change.active;
    if (change.mustChangePassword !== undefined) row['must_change_password'] = change.mustChangePassword;
    if (change.lastLogin !== undefined) row['last_login'] = change.lastLogin;
    if (change.role !== undefined) row['role'] = change.role;
    if (change.agentId !== undefined) row['agent_id'] = change.agentId;
    if (change.passwordHash !== undefined) row['password_hash'] = change.passwordHash;
    return Number(await this.storage.knex(USERS).where({ name }).update(row)) > 0;
  }

  async passwordHash(name: string): Promise<string | undefined> {
    const r = (await this.storage.knex(USERS).where({ name }).first('password_hash')) as { password_hash: string } | undefined;
    return r?.password_hash;
  }

  /** Ends every session of a user (deactivated, or their password reset). */
  async deleteSessionsOf(name: string): Promise<void> {
    await this.storage.knex('caruso_fo_sessions').where({ name, kind: 'user' }).delete();
  }
}
