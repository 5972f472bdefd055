/**
 * The script store: loads a folder of dialogue scripts, keeps every version it has seen, reloads a
 * file when it changes, and hands the engine the bundle a session is pinned to.
 */
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join, resolve, isAbsolute } from 'node:path';
import { Disposable, Emitter, silentLogger, type Event, type Logger, type XmlDiagnostic } from '@caruso/kernel';
import type { ScriptBundle } from './common/model.js';
import { DialogueErrors } from './errors.js';
import { identifiedDataAccess, loadScriptBundle, scriptVariables, type ScriptSourceReader } from './script-bundle.js';
import type { ScriptObjectModel } from './object-access.js';
import type { StoredScriptVersion } from './session-store.js';

/** A published version of a script. */
export interface ScriptVersion {
  readonly bundle: ScriptBundle;
  /** Content hash of every file of the bundle. */
  readonly hash: string;
  /** When the store loaded it (ISO 8601). */
  readonly loadedAt: string;
}

/** What the store knows about one script. */
export interface ScriptInfo {
  readonly id: string;
  readonly title?: string;
  readonly file: string;
  /** The version new sessions start on. */
  readonly latest: string;
  /** Every version kept, oldest first. */
  readonly versions: readonly string[];
  /**
   * The `<fetch>` and `<action>` elements of the latest version (subscripts included) that need an
   * identified visitor on the web channel, as `service.operation (file:line:col)`; empty when the
   * script can run for an anonymous visitor.
   */
  readonly identifiedDataAccess: readonly string[];
  /** The variables the latest version declares or fills (subscripts included), sorted. */
  readonly variables: readonly string[];
}

/** A change of the store. */
export interface ScriptChange {
  readonly file: string;
  /** `published`: a new version or text; `rejected`: the file has errors, the previous versions stay. */
  readonly type: 'published' | 'rejected';
  readonly script?: string;
  readonly version?: string;
  readonly diagnostics: readonly XmlDiagnostic[];
}

/** The read side the engine needs. */
export interface ScriptCatalog {
  /** The latest version of `id`, or a given version (the newest text of that version). */
  get(id: string, version?: string): ScriptVersion | undefined;
  /** An exact version and text. */
  find(id: string, version: string, hash: string): ScriptVersion | undefined;
  /** Every script, sorted by id. */
  list(): ScriptInfo[];
}

/** FNV-1a (32 bit) over the texts of a bundle: enough to tell two texts of one version apart. */
export function bundleHash(files: ReadonlyArray<{ readonly id: string; readonly text: string }>): string {
  let h = 0x811c9dc5;
  for (const f of [...files].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const s = `${f.id}\u0000${f.text}\u0000`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h.toString(16).padStart(8, '0');
}

/** The files of a bundle, main script first, as a session store keeps them. */
export function storedVersion(v: ScriptVersion): StoredScriptVersion {
  const main = v.bundle.main;
  const files = [...v.bundle.sources.entries()].sort(([a], [b]) => (a === main.id ? -1 : b === main.id ? 1 : a < b ? -1 : 1)).map(([id, s]) => ({ id, file: s.file, text: s.text }));
  return { script: main.id, version: main.version, hash: v.hash, files };
}

/** Orders versions: numeric parts numerically (`2` < `10`, `1.2` < `1.10`). */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Reads subscript files from the file system. */
export const fileSourceReader: ScriptSourceReader = {
  resolve: (from, src) => (isAbsolute(src) ? src : resolve(dirname(from), src)),
  read: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};

/** Options of {@link ScriptStore}. */
export interface ScriptStoreOptions {
  /** Watch the folder and reload changed files. Default false. */
  readonly watch?: boolean;
  /** The business-object model: scripts are checked against it (`<fetch object>`, `<action object>`). */
  readonly objects?: ScriptObjectModel;
  readonly logger?: Logger;
}

/**
 * Keeps every version of every script. Versions are never dropped while the store lives: a session
 * stays on the version (and text) it started with.
 */
export class ScriptStore extends Disposable implements ScriptCatalog {
  private readonly scripts = new Map<string, { file: string; versions: ScriptVersion[] }>();
  private readonly _onDidChange = this.register(new Emitter<ScriptChange>());
  /** Fires when a file is published or rejected. */
  readonly onDidChange: Event<ScriptChange> = this._onDidChange.event;
  private readonly logger: Logger;
  private watcher: FSWatcher | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly pending = new Set<string>();
  private lastDiagnostics: XmlDiagnostic[] = [];
  private readonly objects: ScriptObjectModel | undefined;

  constructor(options: { readonly logger?: Logger; readonly objects?: ScriptObjectModel } = {}) {
    super();
    this.objects = options.objects;
    this.logger = (options.logger ?? silentLogger()).child({ svc: 'dialogue.scripts' });
  }

  /**
   * Loads every `*.xml` file of `folder` (not recursive: subscripts may live in sub-folders).
   * Files with errors are reported (see {@link diagnostics}) and skipped.
   * Throws CARUSO_DIALOGUE_SCRIPT_FOLDER when the folder cannot be read.
   */
  static loadFolder(folder: string, options: ScriptStoreOptions = {}): ScriptStore {
    const store = new ScriptStore(options);
    let names: string[];
    try {
      names = readdirSync(folder).filter((n) => n.endsWith('.xml')).sort();
    } catch (err) {
      store.dispose();
      throw DialogueErrors.CARUSO_DIALOGUE_SCRIPT_FOLDER({ folder, reason: (err as NodeJS.ErrnoException).code ?? 'unreadable' }, { cause: err });
    }
    const diags: XmlDiagnostic[] = [];
    for (const n of names) {
      const file = join(folder, n);
      if (!statSync(file).isFile()) continue;
      diags.push(...store.loadFile(file).diagnostics);
    }
    store.lastDiagnostics = diags;
    if (options.watch) store.watchFolder(folder);
    return store;
  }

  /** Problems found by the last folder load. */
  diagnostics(): readonly XmlDiagnostic[] {
    return this.lastDiagnostics;
  }

  /** Loads (or reloads) one file; returns what happened. */
  loadFile(file: string, text?: string, reader: ScriptSourceReader = fileSourceReader): ScriptChange {
    const content = text ?? reader.read(file);
    if (content === undefined) {
      const change: ScriptChange = { file, type: 'rejected', diagnostics: [] };
      this._onDidChange.fire(change);
      return change;
    }
    return this.publish(file, content, reader);
  }

  /** Publishes a script from text (its subscripts are read through `reader`). */
  publish(file: string, text: string, reader: ScriptSourceReader = fileSourceReader): ScriptChange {
    const loaded = loadScriptBundle(file, text, reader, this.objects ? { objects: this.objects } : {});
    if (!loaded.bundle) {
      const change: ScriptChange = { file, type: 'rejected', diagnostics: loaded.diagnostics };
      this.logger.warn({ file, errors: loaded.diagnostics.filter((d) => d.severity === 'error').length }, 'script rejected');
      this._onDidChange.fire(change);
      return change;
    }
    const version = this.add(loaded.bundle);
    const change: ScriptChange = { file, type: 'published', script: version.bundle.main.id, version: version.bundle.main.version, diagnostics: loaded.diagnostics };
    this._onDidChange.fire(change);
    return change;
  }

  /** Adds a compiled bundle; returns its version entry (the existing one when the text is the same). */
  add(bundle: ScriptBundle): ScriptVersion {
    const hash = bundleHash([...bundle.sources.entries()].map(([id, s]) => ({ id, text: s.text })));
    const main = bundle.main;
    let entry = this.scripts.get(main.id);
    if (!entry) {
      entry = { file: main.file, versions: [] };
      this.scripts.set(main.id, entry);
    }
    const same = entry.versions.find((v) => v.bundle.main.version === main.version && v.hash === hash);
    if (same) return same;
    if (entry.versions.some((v) => v.bundle.main.version === main.version)) {
      this.logger.warn({ script: main.id, version: main.version }, 'script text changed without a new version number; running sessions keep the earlier text');
    }
    const v: ScriptVersion = { bundle, hash, loadedAt: new Date().toISOString() };
    entry.versions.push(v);
    entry.file = main.file;
    this.logger.info({ script: main.id, version: main.version }, 'script published');
    return v;
  }

  get(id: string, version?: string): ScriptVersion | undefined {
    const entry = this.scripts.get(id);
    if (!entry) return undefined;
    if (version !== undefined) return entry.versions.filter((v) => v.bundle.main.version === version).at(-1);
    let best: ScriptVersion | undefined;
    for (const v of entry.versions) if (!best || compareVersions(v.bundle.main.version, best.bundle.main.version) >= 0) best = v;
    return best;
  }

  find(id: string, version: string, hash: string): ScriptVersion | undefined {
    return this.scripts.get(id)?.versions.find((v) => v.bundle.main.version === version && v.hash === hash);
  }

  list(): ScriptInfo[] {
    return [...this.scripts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, e]) => {
        const latest = this.get(id) as ScriptVersion;
        const title = latest.bundle.main.meta.title;
        return {
          id,
          file: e.file,
          latest: latest.bundle.main.version,
          versions: [...new Set(e.versions.map((v) => v.bundle.main.version))],
          identifiedDataAccess: identifiedDataAccess(latest.bundle),
          variables: scriptVariables(latest.bundle),
          ...(title !== undefined ? { title } : {}),
        };
      });
  }

  private watchFolder(folder: string): void {
    this.watcher = watch(folder, (_event, name) => {
      if (!name || !String(name).endsWith('.xml')) return;
      this.pending.add(join(folder, String(name)));
      // editors write in several steps: wait until the file is quiet
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        for (const f of [...this.pending]) {
          this.pending.delete(f);
          this.loadFile(f);
        }
      }, 100);
    });
  }

  override dispose(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    super.dispose();
  }
}
