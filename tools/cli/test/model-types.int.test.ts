import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

const modelText = (name: string): string => `<model name="types">
  <object name="Note" table="notes">
    <field name="id" type="id"/>
    ${name}
  </object>
</model>
`;

describe('caruso model migrate (column type changes)', () => {
  forEachDatabase((db) => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-model-types-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('widens a string with --dry-run printing the SQL, refuses a shorter one at its file:line:col', async () => {
      const url = await db.freshDatabase();
      const file = join(dir, `types-${db.dialect}.model.xml`);
      writeFileSync(file, modelText('<field name="title" type="string" length="20"/>'));
      expect((await run(['model', 'migrate', file, '--db', url])).code).toBe(0);
      const s = await createStorage({ url });
      try {
        await s.knex('notes').insert({ title: 'kept' });
      } finally {
        await s.close();
      }

      writeFileSync(file, modelText('<field name="title" type="string" length="200"/>'));
      const dry = await run(['model', 'migrate', file, '--db', url, '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.out).toMatch(db.dialect === 'postgres' ? /alter table "notes" alter column "title" type varchar\(200\);/ : /create table "notes__caruso_rebuild" \(`id` integer not null primary key autoincrement, `title` varchar\(200\)\);/);
      const applied = await run(['model', 'migrate', file, '--db', url]);
      expect(applied.code).toBe(0);
      expect(applied.out).toContain('change column type of notes: title string(20) → string(200)');

      writeFileSync(file, modelText('<field name="title" type="string" length="10"/>'));
      for (const extra of [[], ['--dry-run']]) {
        const refused = await run(['model', 'migrate', file, '--db', url, ...extra]);
        expect(refused.code).toBe(1);
        expect(refused.err.split('\n')[0]).toBe(`${file}:4:5: error: Note.title: changing column notes.title from string(200) to string(10) could lose data; Caruso only widens types (a longer string, string → text, integer → decimal, more decimal digits, date → datetime). Keep the old type, or add a new field, copy the data over by hand and remove the old one`);
        expect(refused.out).toBe('');
      }
      const after = await createStorage({ url });
      try {
        expect((await after.columnInfo('notes')).columns.find((c) => c.name === 'title')?.maxLength).toBe(200);
        expect(await after.knex('notes').select('title')).toEqual([{ title: 'kept' }]);
      } finally {
        await after.close();
      }
    });
  });
});
