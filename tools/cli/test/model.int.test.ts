import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', '..', 'packages', 'objects', 'test', 'fixtures');
const crm = join(fixtures, 'crm.model.xml');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('caruso model migrate --dry-run on a SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caruso-model-dry-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates neither a missing database file nor its folder, and prints the plan for an empty database', async () => {
    const file = join(dir, 'not-yet', 'crm.db');
    const dry = await run(['model', 'migrate', crm, '--db', `sqlite:${file}`, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/create table [`"]customers[`"]/i);
    expect(dry.err).toContain('does not exist yet');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(dir, 'not-yet'))).toBe(false);
  });

  it('leaves an existing database file untouched (no journal switch, no -wal file)', async () => {
    const file = join(dir, 'existing.db');
    const s = await createStorage({ url: `sqlite:${file}` });
    await s.knex.raw('pragma journal_mode = delete');
    await s.close();
    const before = statSync(file);
    const dry = await run(['model', 'migrate', crm, '--db', `sqlite:${file}`, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/create table [`"]customers[`"]/i);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    expect(statSync(file).size).toBe(before.size);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});

describe('caruso model (on a real database)', () => {
  forEachDatabase((db) => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-model-cli-'));

    it('migrate --dry-run prints the SQL and changes nothing; migrate applies it once', async () => {
      const dry = await run(['model', 'migrate', crm, '--db', db.url, '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.out).toMatch(/create table [`"]customers[`"]/i);
      expect(dry.out).toMatch(/create table [`"]customer_tags[`"]/i);
      expect(await db.storage.hasTable('customers')).toBe(false);
      const real = await run(['model', 'migrate', crm, '--db', db.url]);
      expect(real.code).toBe(0);
      expect(real.out).toContain('create table customers (Customer)');
      expect(await db.storage.hasTable('customers')).toBe(true);
      const again = await run(['model', 'migrate', crm, '--db', db.url]);
      expect(again.out).toBe('the database is up to date\n');
    });

    it('migrate renames a column whose field kept its stable id, and adds new fields', async () => {
      const renamed = readFileSync(crm, 'utf8')
        .replace('<field name="notes" id="f-notes" type="text"/>', '<field name="remarks" id="f-notes" type="text"/>\n    <field name="nickname" type="string" length="30"/>');
      const file = join(dir, 'renamed.model.xml');
      writeFileSync(file, renamed);
      const url = await db.freshDatabase();
      expect((await run(['model', 'migrate', crm, '--db', url])).code).toBe(0);
      const dry = await run(['model', 'migrate', file, '--db', url, '--dry-run']);
      expect(dry.out).toMatch(/rename [`"]notes[`"] to [`"]remarks[`"]/i);
      const r = await run(['model', 'migrate', file, '--db', url]);
      expect(r.out).toContain('rename column customers.notes to remarks');
      expect(r.out).toContain('alter table customers: add nickname');
      const other = await createStorage(url);
      const cols = (await other.columnInfo('customers')).columns.map((c) => c.name);
      await other.close();
      expect(cols).toEqual(expect.arrayContaining(['remarks', 'nickname']));
      expect(cols).not.toContain('notes');
      const diff = await run(['model', 'diff', crm, file]);
      expect(diff.out).toBe('~ field Customer.notes renamed to remarks\n~ field Customer.remarks changed (column: notes → remarks)\n+ field Customer.nickname\n');
    });

    it('imports CSV by business key (update, not duplicate), atomically, and exports it again', async () => {
      const csv = join(dir, 'customers.csv');
      writeFileSync(csv, 'email,firstName,lastName,balance,vip\r\nann@example.org,Ann,Able,12.50,yes\r\nben@example.org,Ben,"Baker, Jr.",0,no\r\n');
      const first = await run(['model', 'import', 'Customer', csv, '--model', crm, '--db', db.url, '--progress']);
      expect(first.err.replace(/\r[^\n]*/g, '')).toBe('\n');
      expect(first.code).toBe(0);
      expect(first.out).toBe('2 row(s): 2 created, 0 updated, 0 unchanged, 0 duplicate(s), 0 rejected\n');
      expect(first.err).toContain('importing Customer [');
      writeFileSync(csv, 'email,firstName,lastName\nann@example.org,Anne,Able\nben@example.org,Ben,"Baker, Jr."\ncid@example.org,Cid,Cole\n');
      const second = await run(['model', 'import', 'Customer', csv, '--model', crm, '--db', db.url]);
      expect(second.out).toBe('3 row(s): 1 created, 1 updated, 1 unchanged, 0 duplicate(s), 0 rejected\n');
      const bad = join(dir, 'bad.csv');
      writeFileSync(bad, 'email,firstName,lastName,score\ndan@example.org,Dan,Dee,5\neve@example.org,,Eve,500\n');
      const before = await db.storage.knex('customers').count({ n: '*' }).first();
      const rejected = await run(['model', 'import', 'Customer', bad, '--model', crm, '--db', db.url]);
      expect(rejected.code).toBe(1);
      expect(rejected.err).toContain(`${bad}:3: rejected: score: score is more than 100\n`);
      expect(rejected.err).toContain('CARUSO_OBJECTS_IMPORT_REJECTED');
      expect(await db.storage.knex('customers').count({ n: '*' }).first()).toEqual(before);
      const preview = await run(['model', 'import', 'Customer', bad, '--model', crm, '--db', db.url, '--preview', '--report', '-']);
      expect(preview.code).toBe(1);
      expect(preview.out).toContain('row,line,status,message,key\r\n1,2,created,would be created,\r\n2,3,error,score: score is more than 100,\r\n');
      expect(preview.out).toContain('preview (nothing written): 2 row(s): 1 to create, 0 to update, 0 unchanged, 0 duplicate(s), 1 rejected\n');
      expect(await db.storage.knex('customers').count({ n: '*' }).first()).toEqual(before);
      const out = join(dir, 'out.csv');
      const exp = await run(['model', 'export', 'Customer', out, '--model', crm, '--db', db.url]);
      expect(exp.out).toBe(`3 row(s) exported to ${out}\n`);
      const text = readFileSync(out, 'utf8');
      expect(text.split('\r\n')[0]).toBe('id,firstName,lastName,email,phone,segment,birthDate,balance,creditLimit,vip,score,notes,prefs');
      expect(text).toContain(',Anne,Able,ann@example.org,,residential,,12.50 EUR,,true,,,');
      expect(text).toContain('"Baker, Jr."');
    });

    it('import --skip-bad-rows writes the good rows, --skip-duplicates leaves duplicates out, --report lists every row', async () => {
      const csv = join(dir, 'mixed.csv');
      writeFileSync(csv, 'email,firstName,lastName,score\nfay@example.org,Fay,Fox,5\ngus@example.org,,Gray,5\nhal@example.org,Anne,Able,1\n');
      const before = Number(((await db.storage.knex('customers').count({ n: '*' }).first()) as { n: number | string }).n);
      const report = join(dir, 'mixed-report.csv');
      const r = await run(['model', 'import', 'Customer', csv, '--model', crm, '--db', db.url, '--skip-bad-rows', '--skip-duplicates', '--report', report]);
      expect(r.code).toBe(1);
      expect(r.out).toBe('3 row(s): 1 created, 0 updated, 0 unchanged, 1 duplicate(s), 1 rejected\n');
      expect(r.err).toContain(`${csv}:3: rejected: firstName: firstName is required\n`);
      expect(r.err).toMatch(new RegExp(`${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: duplicate: duplicates Customer \\d+: a similar name\n`));
      const lines = readFileSync(report, 'utf8').split('\r\n');
      expect(lines[0]).toBe('row,line,status,message,key');
      expect(lines.slice(1, 4).map((l) => l.split(',')[2])).toEqual(['created', 'error', 'duplicate']);
      expect(Number(((await db.storage.knex('customers').count({ n: '*' }).first()) as { n: number | string }).n)).toBe(before + 1);
    });

    it('introspects the database into a model that validates, with keys and relations', async () => {
      const r = await run(['model', 'introspect', '--db', db.url, '--tables', 'customers,contracts']);
      expect(r.code).toBe(0);
      expect(r.out).toContain('<object name="Customers" table="customers" managed="false">');
      expect(r.out).toContain('<relation name="customer" kind="many-to-one" target="Customers" fields="customerId"/>');
      expect(r.out).toContain('<relation name="contracts" kind="one-to-many" target="Contracts" inverse="customer"/>');
      expect(r.out).toMatch(/<field name="email" type="string" column="email" length="254" unique="true"\/>|<field name="email" type="string" column="email" unique="true"\/>/);
      const file = join(dir, 'introspected.model.xml');
      writeFileSync(file, r.out);
      const v = await run(['model', 'validate', file, '--db', db.url]);
      expect(v.err).toBe('');
      expect(v.code).toBe(0);
      expect((await run(['model', 'introspect', '--db', db.url, '--tables', 'nope'])).code).toBe(1);
    });

    it('validate --db reports a legacy column the database lacks at its file:line:col', async () => {
      await db.storage.knex.schema.createTable('ACCT_MASTER', (t) => {
        t.string('CO_CODE', 4);
        t.integer('ACCT_NO');
        t.string('HOLDER_NM', 80);
        t.primary(['CO_CODE', 'ACCT_NO']);
      });
      await db.storage.knex.schema.createTable('INV', (t) => {
        t.increments('INV_ID');
        t.string('CO_CODE', 4);
        t.integer('ACCT_NO');
        t.bigInteger('AMT_CENTS');
      });
      const legacy = join(fixtures, 'legacy.model.xml');
      const r = await run(['model', 'validate', legacy, '--db', db.url]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`${legacy}:9:5: error: column ACCT_MASTER.OPEN_DT of Account.openedOn does not exist in the database\n`);
      const m = await run(['model', 'migrate', legacy, '--db', db.url, '--dry-run']);
      expect(m.out).toBe('-- the database is up to date\n');
    });
  });
});

describe('caruso model (without a database)', () => {
  it('validate prints a one-line summary and exits 0 for a clean model', async () => {
    const r = await run(['model', 'validate', crm]);
    expect(r).toEqual({ code: 0, out: expect.stringMatching(/^ok: .*crm\.model\.xml: \d+ objects, \d+ fields, 0 warnings\n$/) as unknown as string, err: '' });
  });

  it('validate prints file:line:col diagnostics and exits 1', async () => {
    const broken = join(fixtures, 'broken.model.xml');
    const r = await run(['model', 'validate', broken]);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toBe(`${broken}:5:24: error: unknown type 'strin'; did you mean 'string'?; the types are id, string, text, integer, decimal, money, boolean, date, datetime, enum, email, phone, json`);
    expect(r.err.trim().split('\n')).toHaveLength(5);
  });

  it('refuses a wrong command line with exit 2', async () => {
    expect((await run(['model', 'validate'])).code).toBe(2);
    expect((await run(['model', 'migrate', crm])).code).toBe(2);
    expect((await run(['model', 'import', 'Customer', 'x.csv', '--db', 'sqlite::memory:'])).code).toBe(2);
  });
});
