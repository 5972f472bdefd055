/**
 * Where dialogue sessions live between steps. The engine saves a session after every step (rule 4
 * of the architecture: written durably before it is acknowledged) and keeps the text of every
 * script version a session started on, so that it resumes on that version after a restart.
 */
import { createToken } from '@caruso/kernel';
import { DialogueErrors } from './errors.js';
import type { SessionState } from './session-runtime.js';

/** The files of one script version (the main script first, then its subscripts). */
export interface StoredScriptVersion {
  readonly script: string;
  readonly version: string;
  /** Content hash of the files: two texts published under one version number stay apart. */
  readonly hash: string;
  readonly files: ReadonlyArray<{ readonly id: string; readonly file: string; readonly text: string }>;
}

/** Persistence of sessions and of the script versions they run. */
export interface SessionStore {
  /** The session, or `undefined` when there is none with this id. */
  load(id: string): Promise<SessionState | undefined>;
  /**
   * Saves a session. `expectedRevision` is the revision the caller read (`undefined` for a new
   * session). Throws CARUSO_DIALOGUE_SESSION_CONFLICT when the stored revision differs (another
   * device or process answered meanwhile) and changes nothing then.
   */
  save(state: SessionState, expectedRevision: number | undefined): Promise<void>;
  /** Deletes a session (no error when it does not exist). */
  delete(id: string): Promise<void>;
  /** Keeps a script version's text. Idempotent. */
  saveVersion(version: StoredScriptVersion): Promise<void>;
  /** A kept script version, or `undefined`. */
  loadVersion(script: string, version: string, hash: string): Promise<StoredScriptVersion | undefined>;
  /** Ids of the sessions that are still active (for reports and clean-up), at most `limit`. */
  listActive(limit?: number): Promise<string[]>;
}

/** The token of the session store, for components that want to read sessions directly. */
export const SessionStore = createToken<SessionStore>('caruso.dialogue.SessionStore');

/**
 * An in-memory session store: a fast double for unit tests and the `caruso script run` tool.
 * Note: it loses everything on restart; production uses {@link StorageSessionStore}.
 */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionState>();
  private readonly versions = new Map<string, StoredScriptVersion>();

  async load(id: string): Promise<SessionState | undefined> {
    return this.sessions.get(id);
  }

  async save(state: SessionState, expectedRevision: number | undefined): Promise<void> {
    const current = this.sessions.get(state.id);
    const actual = current?.revision;
    if (actual !== expectedRevision) {
      throw DialogueErrors.CARUSO_DIALOGUE_SESSION_CONFLICT({ session: state.id, actual: actual ?? 'none', expected: expectedRevision ?? 'none' });
    }
    this.sessions.set(state.id, state);
  }

  async delete(id: string): Promise<void> {
    this.sessions.delete(id);
  }

  async saveVersion(v: StoredScriptVersion): Promise<void> {
    const key = `${v.script}@${v.version}#${v.hash}`;
    if (!this.versions.has(key)) this.versions.set(key, v);
  }

  async loadVersion(script: string, version: string, hash: string): Promise<StoredScriptVersion | undefined> {
    return this.versions.get(`${script}@${version}#${hash}`);
  }

  async listActive(limit = 1000): Promise<string[]> {
    const out: string[] = [];
    for (const s of this.sessions.values()) {
      if (s.status === 'active') out.push(s.id);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** How many sessions are held (for tests and the memory benchmark). */
  get size(): number {
    return this.sessions.size;
  }
}
