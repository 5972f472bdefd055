/**
 * The front office's own tables on the storage manager (migrations of scope `frontoffice`): users
 * with their role and scrypt password hash, sessions, chat hand-offs, failed log-ins, and who owns
 * each dialogue-script session. The customer's history of contacts is not here: it is the
 * communication server's interaction store (`CommunicationServer.history`), one history for all.
 */
import { isCarusoError } from '@caruso/kernel';
import type { Migration, StorageManager, StorageTransaction } from '@caruso/storage';
import type { RoleName } from './common/application.js';
import { FrontOfficeErrors } from './errors.js';
import { hashPassword, verifyPassword, DUMMY_HASH_PROMISE } from './internal/passwords.js';
import { CRM_MIGRATION, CrmStore } from './crm-store.js';

/** A user as the front office shows it (never the hash). */
export interface User {
  readonly name: string;
  readonly role: Exclude<RoleName, 'anonymous'>;
  /** The agent id in the communication server (agents). */
  readonly agentId: string | undefined;
}

/** Who started a script session, and the record its answers are written to. */
export interface ScriptSessionOwner {
  readonly sessionId: string;
  readonly owner: string;
  readonly queue: string | undefined;
  readonly object: string | undefined;
  readonly recordKey: string | undefined;
  readonly written: boolean;
  /** The contact the session was started for (an agent's script of a contact); one session per contact and owner. */
  readonly contactId?: string | undefined;
}

/** What an agent typed for a contact's wrap-up and has not filed yet. */
export interface WrapUpDraft {
  readonly code?: string;
  readonly notes?: string;
}

export const USERS_TABLE = 'caruso_fo_users';
/** The front office's own interaction table until migration 0005 moved its rows to the comms store. */
const OLD_INTERACTIONS_TABLE = 'caruso_fo_interactions';
export const SCRIPT_OWNERS_TABLE = 'caruso_fo_script_sessions';
export const SESSIONS_TABLE = 'caruso_fo_sessions';
export const CHAT_HANDOFFS_TABLE = 'caruso_fo_chat_handoffs';
export const LOGIN_FAILURES_TABLE = 'caruso_fo_login_failures';
export const WRAP_UP_DRAFTS_TABLE = 'caruso_fo_wrap_up_drafts';
export const MIN_PASSWORD_LENGTH = 10;

export const FRONTOFFICE_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-users-interactions-scripts',
    up: async (trx) => {
      await trx.schema.createTable(USERS_TABLE, (t) => {
        t.string('name', 64).primary();
        t.string('role', 20).notNullable();
        t.string('agent_id', 64).nullable();
        t.string('password_hash', 200).notNullable();
        t.string('created_at', 30).notNullable();
      });
      await trx.schema.createTable(OLD_INTERACTIONS_TABLE, (t) => {
        t.increments('id');
        t.string('contact_id', 100).notNullable();
        t.string('channel', 20).notNullable();
        t.string('object', 100).nullable();
        t.string('record_key', 200).nullable();
        t.string('agent', 64).notNullable();
        t.string('code', 64).notNullable();
        t.text('notes').notNullable();
        t.string('at', 30).notNullable();
        t.index(['object', 'record_key']);
      });
      await trx.schema.createTable(SCRIPT_OWNERS_TABLE, (t) => {
        t.string('session_id', 100).primary();
        t.string('owner', 100).notNullable();
        t.string('queue', 100).nullable();
        t.string('object', 100).nullable();
        t.string('record_key', 200).nullable();
        t.boolean('written').notNullable().defaultTo(false);
      });
    },
  },
  {
    // Log-in and visitor sessions, so that a restart (or another process) keeps people logged in.
    // Only a digest of the cookie's token is stored.
    id: '0002-sessions',
    up: async (trx) => {
      await trx.schema.createTable(SESSIONS_TABLE, (t) => {
        t.string('token_digest', 64).primary();
        t.string('kind', 10).notNullable();
        t.string('name', 100).notNullable();
        t.string('role', 20).notNullable();
        t.string('agent_id', 64).nullable();
        t.string('csrf', 64).notNullable();
        t.text('script_sessions').notNullable();
        t.bigInteger('expires_at').notNullable().index();
        t.string('created_at', 30).notNullable();
      });
    },
  },
  {
    // Self-service visitors who asked for an agent in a chat: the chat and the script session whose
    // answers the agent sees.
    id: '0003-chat-handoffs',
    up: async (trx) => {
      await trx.schema.createTable(CHAT_HANDOFFS_TABLE, (t) => {
        t.string('chat_id', 128).primary();
        t.string('script_session', 100).notNullable();
        t.string('self_service', 100).notNullable();
        t.string('created_at', 30).notNullable();
      });
    },
  },
  {
    // Failed log-ins by user name and by address, so that every front-office process sharing the
    // database counts the same failures (and memory does not grow with every name tried).
    id: '0004-login-failures',
    up: async (trx) => {
      await trx.schema.createTable(LOGIN_FAILURES_TABLE, (t) => {
        t.string('key', 200).notNullable().index();
        t.bigInteger('at').notNullable().index();
      });
    },
  },
  {
    // One customer history (architecture rule 9): the wrap-ups the desktop kept in its own table go to
    // the communication server's interaction store, and the table goes.
    id: '0005-interactions-to-comms',
    up: moveInteractionsToComms,
  },
  {
    // The contact an agent's script session belongs to: the desktop finds it again after a reload
    // (and a second start for the same contact returns it instead of restarting the script).
    id: '0006-script-session-contact',
    up: async (trx) => {
      await trx.schema.alterTable(SCRIPT_OWNERS_TABLE, (t) => {
        t.string('contact_id', 128).nullable();
        t.index(['contact_id', 'owner']);
      });
    },
  },
  {
    // What an agent typed for a wrap-up and has not filed: shown again after a reload, deleted when
    // the wrap-up is filed.
    id: '0007-wrap-up-drafts',
    up: async (trx) => {
      await trx.schema.createTable(WRAP_UP_DRAFTS_TABLE, (t) => {
        t.string('contact_id', 128).notNullable();
        t.string('agent_id', 64).notNullable();
        t.string('code', 64).nullable();
        t.text('notes').nullable();
        t.string('updated_at', 30).notNullable();
        t.primary(['contact_id', 'agent_id']);
      });
    },
  },
  // Notes, tasks, the administrative audit, saved filters and the users' account state (crm-store.ts).
  CRM_MIGRATION,
];

/**
 * The communication server's interaction table and its columns as its migration 0001 made them. A
 * migration is history: it names the tables as they were when it was written, not through the
 * component's code of the day.
 */
const COMMS_INTERACTIONS_TABLE = 'caruso_interactions';

interface OldInteractionRow {
  id: number;
  contact_id: string;
  channel: string;
  object: string | null;
  record_key: string | null;
  agent: string;
  code: string;
  notes: string;
  at: string;
}

/**
 * Moves each row of `caruso_fo_interactions` into `caruso_interactions`:
 * - a contact the comms store has already (folded from the contact event log) keeps its row; the
 *   agent's chosen record becomes its customer (the agent's choice wins, as with `wrapUp`), and the
 *   code and notes fill its disposition and note where it has none;
 * - a contact it lacks gets a row: the channel, the agent (the user's agent id, else the user name),
 *   started and ended at the wrap-up time, outcome `completed`, direction `outbound` for a callback and
 *   `inbound` otherwise (the old table kept none: a campaign call shows as inbound), and end sequence 0
 *   (no event of the log ended it: the row came from the front office).
 * Then the old table is dropped. Old rows without the comms table (interaction records off, or the
 * communication server on another database) fail the start with CARUSO_FRONTOFFICE_HISTORY_NOT_MOVED,
 * changing nothing; an empty old table just goes.
 */
async function moveInteractionsToComms(trx: StorageTransaction): Promise<void> {
  if (!(await trx.hasTable(OLD_INTERACTIONS_TABLE))) return;
  const rows = (await trx.knex(OLD_INTERACTIONS_TABLE).select('*').orderBy('id')) as OldInteractionRow[];
  if (rows.length > 0 && !(await trx.hasTable(COMMS_INTERACTIONS_TABLE))) {
    throw FrontOfficeErrors.CARUSO_FRONTOFFICE_HISTORY_NOT_MOVED({ rows: rows.length }, { details: { rows: rows.length } });
  }
  const users = (await trx.knex(USERS_TABLE).select('name', 'agent_id')) as Array<{ name: string; agent_id: string | null }>;
  const agentOf = new Map(users.filter((u) => u.agent_id !== null).map((u) => [u.name, u.agent_id as string]));
  for (const r of rows) {
    const customer = r.object !== null && r.record_key !== null ? { customer_object: r.object, customer_id: r.record_key } : {};
    const latest = (await trx.knex(COMMS_INTERACTIONS_TABLE).where({ contact_id: r.contact_id }).orderBy('end_seq', 'desc').first('id', 'disposition', 'note')) as
      | { id: number; disposition: string | null; note: string | null }
      | undefined;
    if (latest) {
      await trx
        .knex(COMMS_INTERACTIONS_TABLE)
        .where({ id: latest.id })
        .update({ ...customer, ...(latest.disposition === null ? { disposition: r.code } : {}), ...(latest.note === null && r.notes !== '' ? { note: r.notes } : {}) });
      continue;
    }
    const at = Date.parse(r.at);
    const when = Number.isFinite(at) ? at : 0;
    await trx.knex(COMMS_INTERACTIONS_TABLE).insert({
      contact_id: r.contact_id,
      channel: r.channel.slice(0, 16),
      direction: r.channel === 'callback' ? 'outbound' : 'inbound',
      ...customer,
      agent_id: (agentOf.get(r.agent) ?? r.agent).slice(0, 128),
      started_at: when,
      ended_at: when,
      outcome: 'completed',
      disposition: r.code,
      note: r.notes === '' ? null : r.notes,
      end_seq: 0,
    });
  }
  await trx.schema.dropTable(OLD_INTERACTIONS_TABLE);
}

function scriptOwnerOf(r: Record<string, string | number | boolean | null>): ScriptSessionOwner {
  return {
    sessionId: r['session_id'] as string,
    owner: r['owner'] as string,
    queue: (r['queue'] as string | null) ?? undefined,
    object: (r['object'] as string | null) ?? undefined,
    recordKey: (r['record_key'] as string | null) ?? undefined,
    written: Boolean(r['written']),
    contactId: (r['contact_id'] as string | null | undefined) ?? undefined,
  };
}

/** A self-service visitor's hand-off into a chat. */
export interface ChatHandoff {
  readonly chatId: string;
  readonly scriptSession: string;
  readonly selfService: string;
}

/** A stored session (the token itself is never stored, only its digest). */
export interface SessionRow {
  readonly tokenDigest: string;
  readonly kind: 'user' | 'visitor';
  readonly name: string;
  readonly role: RoleName;
  readonly agentId: string | undefined;
  readonly csrf: string;
  /** Visitors: the script sessions they started. */
  readonly scriptSessions: readonly string[];
  /** ms since the epoch. */
  readonly expiresAt: number;
}

const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** The users, sessions, log-in failures, chat hand-offs and script-session owners, on the storage manager. */
export class FrontOfficeStore {
  /**
   * @param now the server's clock (`CommunicationServer.now()`, which a simulation may shift): it
   *   stamps what the front office writes (users, chat hand-offs). Default: the wall clock.
   *   Note: session rows stay on the wall clock (their expiry is a security timer, see SessionRegistry).
   */
  constructor(
    private readonly storage: StorageManager,
    private readonly now: () => number = Date.now,
  ) {}

  /** The CRM tables (notes, tasks, audit, saved filters, account state) on the same storage and clock. */
  crm(): CrmStore {
    return new CrmStore(this.storage, this.now);
  }

  /** Applies the front office's migrations. CARUSO_FRONTOFFICE_HISTORY_NOT_MOVED: see migration 0005. */
  async migrate(): Promise<void> {
    try {
      await this.storage.migrate(FRONTOFFICE_MIGRATIONS, { scope: 'frontoffice' });
    } catch (err) {
      // Our own refusal comes wrapped in the storage manager's CARUSO_STORAGE_MIGRATION_FAILED: say it as is.
      const cause = (err as { cause?: unknown }).cause;
      if (isCarusoError(cause) && cause.code === 'CARUSO_FRONTOFFICE_HISTORY_NOT_MOVED') throw cause;
      throw err;
    }
  }

  /** Adds a user. CARUSO_FRONTOFFICE_DUPLICATE_USER, CARUSO_FRONTOFFICE_WEAK_PASSWORD, CARUSO_FRONTOFFICE_BAD_REQUEST. */
  async addUser(user: User, password: string): Promise<User> {
    if (!USER_NAME.test(user.name)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a user name has 1 to 64 letters, digits, . _ @ -' });
    if (!['administrator', 'supervisor', 'agent'].includes(user.role)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'role must be administrator, supervisor or agent' });
    if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_WEAK_PASSWORD({ min: MIN_PASSWORD_LENGTH });
    if (await this.storage.knex(USERS_TABLE).where({ name: user.name }).first()) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_DUPLICATE_USER({ name: user.name });
    const password_hash = await hashPassword(password);
    await this.storage.knex(USERS_TABLE).insert({ name: user.name, role: user.role, agent_id: user.agentId ?? null, password_hash, created_at: new Date(this.now()).toISOString() });
    return user;
  }

  async users(): Promise<User[]> {
    const rows = (await this.storage.knex(USERS_TABLE).select('name', 'role', 'agent_id').orderBy('name')) as Array<{ name: string; role: User['role']; agent_id: string | null }>;
    return rows.map((r) => ({ name: r.name, role: r.role, agentId: r.agent_id ?? undefined }));
  }

  /** True when a user of exactly this name exists (one indexed read, no password check). */
  async userExists(name: string): Promise<boolean> {
    return USER_NAME.test(name) && (await this.storage.knex(USERS_TABLE).where({ name }).first('name')) !== undefined;
  }

  /** The user when the password is right; undefined otherwise (in the same time either way). */
  async authenticate(name: string, password: string): Promise<User | undefined> {
    const row = USER_NAME.test(name)
      ? ((await this.storage.knex(USERS_TABLE).where({ name }).first()) as { name: string; role: User['role']; agent_id: string | null; password_hash: string; active?: boolean | number | null } | undefined)
      : undefined;
    const ok = await verifyPassword(password, row?.password_hash ?? (await DUMMY_HASH_PROMISE));
    // A deactivated user cannot log in (the same answer as a wrong password).
    const active = row?.active === undefined || row.active === null || Boolean(row.active);
    return row && ok && active ? { name: row.name, role: row.role, agentId: row.agent_id ?? undefined } : undefined;
  }

  async addScriptSession(o: ScriptSessionOwner): Promise<void> {
    await this.storage.knex(SCRIPT_OWNERS_TABLE).insert({ session_id: o.sessionId, owner: o.owner, queue: o.queue ?? null, object: o.object ?? null, record_key: o.recordKey ?? null, written: false, contact_id: o.contactId ?? null });
  }

  /** The script session `owner` started for a contact (the first one when, by a race, there are two). */
  async contactScriptSession(contactId: string, owner: string): Promise<ScriptSessionOwner | undefined> {
    const r = (await this.storage.knex(SCRIPT_OWNERS_TABLE).where({ contact_id: contactId, owner }).orderBy('session_id').first()) as Record<string, string | number | boolean | null> | undefined;
    return r ? scriptOwnerOf(r) : undefined;
  }

  /** The wrap-up draft of a contact by an agent, or undefined. */
  async wrapUpDraft(contactId: string, agentId: string): Promise<WrapUpDraft | undefined> {
    const r = (await this.storage.knex(WRAP_UP_DRAFTS_TABLE).where({ contact_id: contactId, agent_id: agentId }).first('code', 'notes')) as { code: string | null; notes: string | null } | undefined;
    return r ? { ...(r.code !== null ? { code: r.code } : {}), ...(r.notes !== null ? { notes: r.notes } : {}) } : undefined;
  }

  /** Keeps (replaces) the wrap-up draft of a contact by an agent. */
  async saveWrapUpDraft(contactId: string, agentId: string, draft: WrapUpDraft): Promise<void> {
    const row = { code: draft.code ?? null, notes: draft.notes ?? null, updated_at: new Date(this.now()).toISOString() };
    await this.storage.knex(WRAP_UP_DRAFTS_TABLE).insert({ contact_id: contactId, agent_id: agentId, ...row }).onConflict(['contact_id', 'agent_id']).merge(row);
  }

  /** Forgets the wrap-up draft of a contact by an agent (the wrap-up was filed). */
  async deleteWrapUpDraft(contactId: string, agentId: string): Promise<void> {
    await this.storage.knex(WRAP_UP_DRAFTS_TABLE).where({ contact_id: contactId, agent_id: agentId }).delete();
  }

  async scriptSession(sessionId: string): Promise<ScriptSessionOwner | undefined> {
    const r = (await this.storage.knex(SCRIPT_OWNERS_TABLE).where({ session_id: sessionId }).first()) as Record<string, string | number | boolean | null> | undefined;
    return r ? scriptOwnerOf(r) : undefined;
  }

  async insertSession(r: SessionRow): Promise<void> {
    await this.storage.knex(SESSIONS_TABLE).insert({
      token_digest: r.tokenDigest,
      kind: r.kind,
      name: r.name,
      role: r.role,
      agent_id: r.agentId ?? null,
      csrf: r.csrf,
      script_sessions: JSON.stringify(r.scriptSessions),
      expires_at: r.expiresAt,
      // The wall clock, as the session's expiry: sessions are security, not contact-center data.
      created_at: new Date().toISOString(),
    });
  }

  async session(tokenDigest: string): Promise<SessionRow | undefined> {
    const r = (await this.storage.knex(SESSIONS_TABLE).where({ token_digest: tokenDigest }).first()) as Record<string, string | number | null> | undefined;
    if (!r) return undefined;
    let scripts: unknown;
    try {
      scripts = JSON.parse(String(r['script_sessions']));
    } catch {
      scripts = [];
    }
    return {
      tokenDigest,
      kind: r['kind'] === 'visitor' ? 'visitor' : 'user',
      name: String(r['name']),
      role: String(r['role']) as RoleName,
      agentId: (r['agent_id'] as string | null) ?? undefined,
      csrf: String(r['csrf']),
      scriptSessions: Array.isArray(scripts) ? scripts.filter((x): x is string => typeof x === 'string') : [],
      expiresAt: Number(r['expires_at']),
    };
  }

  /** Moves the expiry of a session on (sliding expiry). */
  async touchSession(tokenDigest: string, expiresAt: number): Promise<void> {
    await this.storage.knex(SESSIONS_TABLE).where({ token_digest: tokenDigest }).update({ expires_at: expiresAt });
  }

  async setSessionScripts(tokenDigest: string, scriptSessions: readonly string[]): Promise<void> {
    await this.storage.knex(SESSIONS_TABLE).where({ token_digest: tokenDigest }).update({ script_sessions: JSON.stringify(scriptSessions) });
  }

  async deleteSession(tokenDigest: string): Promise<void> {
    await this.storage.knex(SESSIONS_TABLE).where({ token_digest: tokenDigest }).delete();
  }

  /** Removes the sessions that expired before `now`; resolves with how many. */
  async deleteExpiredSessions(now: number): Promise<number> {
    return Number(await this.storage.knex(SESSIONS_TABLE).where('expires_at', '<', now).delete());
  }

  /** Failures per key since `since` (ms): their number and the oldest. */
  async loginFailures(keys: readonly string[], since: number): Promise<Map<string, { count: number; first: number }>> {
    const rows = (await this.storage.knex(LOGIN_FAILURES_TABLE).whereIn('key', [...keys]).andWhere('at', '>', since).groupBy('key').select('key').count({ n: '*' }).min({ first: 'at' })) as Array<{ key: string; n: number | string; first: number | string }>;
    return new Map(rows.map((r) => [r.key, { count: Number(r.n), first: Number(r.first) }]));
  }

  /** Records one failure for each key at `at`, and forgets failures older than `before`. */
  async addLoginFailures(keys: readonly string[], at: number, before: number): Promise<void> {
    await this.storage.transaction(async (trx) => {
      await trx.knex(LOGIN_FAILURES_TABLE).insert(keys.map((key) => ({ key, at })));
      await trx.knex(LOGIN_FAILURES_TABLE).where('at', '<=', before).delete();
    });
  }

  async clearLoginFailures(keys: readonly string[]): Promise<void> {
    await this.storage.knex(LOGIN_FAILURES_TABLE).whereIn('key', [...keys]).delete();
  }

  async addChatHandoff(h: ChatHandoff): Promise<void> {
    await this.storage.knex(CHAT_HANDOFFS_TABLE).insert({ chat_id: h.chatId, script_session: h.scriptSession, self_service: h.selfService, created_at: new Date(this.now()).toISOString() });
  }

  async chatHandoff(chatId: string): Promise<ChatHandoff | undefined> {
    const r = (await this.storage.knex(CHAT_HANDOFFS_TABLE).where({ chat_id: chatId }).first()) as Record<string, string> | undefined;
    return r ? { chatId: r['chat_id'] as string, scriptSession: r['script_session'] as string, selfService: r['self_service'] as string } : undefined;
  }

  async markWritten(sessionId: string): Promise<void> {
    await this.storage.knex(SCRIPT_OWNERS_TABLE).where({ session_id: sessionId }).update({ written: true });
  }
}
