import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const I18N = join(ROOT, 'assets', 'i18n');
const SRC = join(ROOT, 'web', 'src');

function bundle(lang: string): Record<string, string> {
  return JSON.parse(readFileSync(join(I18N, `${lang}.json`), 'utf8')) as Record<string, string>;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The keys the browser code asks for by name (`t('…')`), and the prefixes of keys made at run time (`t(\`prefix.${…}\`)`). */
function usedKeys(): { keys: Map<string, string>; prefixes: Map<string, string> } {
  const keys = new Map<string, string>();
  const prefixes = new Map<string, string>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bt\(\s*'([^']+)'/g)) keys.set(m[1]!, file);
    for (const m of text.matchAll(/\bt\(\s*`([^`$]*)\$\{/g)) prefixes.set(m[1]!, file);
  }
  return { keys, prefixes };
}

/** Families whose keys are optional: an id without a text shows as itself (queues and scripts of one assembly). */
const OPTIONAL_PREFIXES = ['queue.', 'script.'];

/** Families the pages make keys of at run time, with every member the code can ask for. */
const FAMILIES: Readonly<Record<string, readonly string[]>> = {
  'role.': ['administrator', 'supervisor', 'agent', 'anonymous'],
  'state.': ['ready', 'reserved', 'busy', 'wrap-up', 'paused', 'logged-out'],
  'channel.': ['call', 'email', 'chat', 'callback'],
  'history.filter.': ['call', 'email', 'chat', 'callback', 'note', 'task', 'change'],
  'history.action.': ['create', 'update', 'delete', 'restore', 'merge', 'import'],
  'history.from.': ['customer', 'agent', 'system'],
  'dup.reason.': ['phone', 'email', 'name'],
  'users.': ['name', 'role', 'agent', 'active', 'lastLogin', 'actions'],
  'audit.': ['when', 'who', 'what', 'whom'],
  'report.period.': ['today', 'yesterday', 'last-7-days', 'this-month'],
  'callbacks.': ['when', 'number', 'queue', 'note', 'by', 'customer', 'action'],
};

describe('page texts (assets/i18n)', () => {
  const en = bundle('en');
  const nl = bundle('nl');

  it('has every English key in Dutch and no Dutch key that English lacks', () => {
    expect(Object.keys(en).filter((k) => !(k in nl))).toEqual([]);
    expect(Object.keys(nl).filter((k) => !(k in en))).toEqual([]);
  });

  it('has a text for every key, none empty, and the same placeholders in both languages', () => {
    for (const [k, v] of Object.entries(nl)) {
      expect(typeof v).toBe('string');
      expect(v.trim()).not.toBe('');
      const holes = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
      expect([k, holes(v)]).toEqual([k, holes(en[k] ?? '')]);
    }
  });

  it('has every key the browser code uses by name in en.json', () => {
    const { keys } = usedKeys();
    const missing = [...keys].filter(([k]) => !(k in en)).map(([k, file]) => `${k} (${file.slice(SRC.length + 1)})`);
    expect(missing).toEqual([]);
  });

  it('has texts for the keys the code makes at run time', () => {
    const { prefixes } = usedKeys();
    for (const [prefix, file] of prefixes) {
      if (OPTIONAL_PREFIXES.includes(prefix) || prefix === 'errors.' || prefix === 'report.column.' || prefix === 'campaign.state.') continue;
      expect([prefix, file, Object.keys(en).some((k) => k.startsWith(prefix))]).toEqual([prefix, file, true]);
    }
    const missing = Object.entries(FAMILIES).flatMap(([prefix, members]) => members.map((m) => `${prefix}${m}`)).filter((k) => !(k in en));
    expect(missing).toEqual([]);
  });

  it('translates into Dutch: the texts differ from English except for words both languages share', () => {
    const SAME = new Set(['Chat', 'E-mail', 'Script', 'Wallboard', 'Record', 'Dashboard', 'Voicemail', 'Code', 'Status', 'Sjabloon', 'E-mails', 'Chats', 'Agent']);
    const same = Object.keys(en).filter((k) => en[k] === nl[k] && !SAME.has(en[k]!) && !/^[\d\s%()s.:]*$/.test(en[k]!));
    expect(same).toEqual([]);
  });
});
