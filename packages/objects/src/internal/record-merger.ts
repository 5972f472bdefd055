/**
 * Merging two records of one object: every related record (many-to-one relations of the model that
 * point at the dropped record, and many-to-many links on either side) moves to the kept one, the
 * kept record's empty fields are filled from the dropped one, the merge is written into both
 * records' change history, and the dropped record is deleted (soft when the object says so).
 */
import type { Knex, StorageSession, StorageTransaction } from '@caruso/storage';
import type { FieldDef, Model, ObjectDef } from '../common/model.js';
import type { MergeEvent, MergeOptions, MergeResult, RecordKey } from '../business-objects.js';
import { ObjectsErrors } from '../errors.js';
import { AUDIT_TABLE, type ObjectRepository } from './object-repository.js';

/** What a merge needs of the business objects in its transaction (the implementation passes itself). */
export interface MergeScope {
  readonly model: Model;
  readonly session: StorageSession;
  repository(object: string): ObjectRepository;
}

const columnOf = (o: ObjectDef, name: string): string => (o.fields.find((f) => f.name === name) as FieldDef).column;

function whereCols(qb: Knex.QueryBuilder, cols: readonly string[], values: readonly unknown[]): Knex.QueryBuilder {
  cols.forEach((c, i) => {
    qb.where(c, values[i] as Knex.Value);
  });
  return qb;
}

/** Merges `dropKey` into `keepKey` inside the transaction `tx`; `emit` runs after the commit. */
export async function mergeRecords(
  tx: MergeScope,
  object: string,
  keepKey: RecordKey,
  dropKey: RecordKey,
  options: MergeOptions,
  emit: (e: MergeEvent) => void,
): Promise<MergeResult> {
  const repo = tx.repository(object);
  const om = repo.om;
  const o = om.object;
  const keepVals = om.keyValues(keepKey);
  const dropVals = om.keyValues(dropKey);
  if (om.keyText(keepVals) === om.keyText(dropVals)) throw ObjectsErrors.CARUSO_OBJECTS_BAD_OPTIONS({ reason: `a ${o.name} cannot be merged into itself (${om.keyText(keepVals)})` });
  const keep = await repo.get(keepKey);
  if (!keep) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object: o.name, key: om.keyText(keepVals) });
  const drop = await repo.get(dropKey);
  if (!drop) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object: o.name, key: om.keyText(dropVals) });
  const session = tx.session;
  const knex = session.knex;
  const moved: { object: string; relation: string; count: number }[] = [];
  for (const other of tx.model.objects) {
    for (const rel of other.relations) {
      if (rel.kind === 'many-to-one' && rel.target === o.name) {
        const cols = rel.fields.map((n) => columnOf(other, n));
        const set: Record<string, unknown> = {};
        cols.forEach((c, i) => (set[c] = keepVals[i]));
        const n = (await whereCols(knex(other.table).update(set), cols, dropVals)) as unknown as number;
        if (n > 0) moved.push({ object: other.name, relation: rel.name, count: n });
      } else if (rel.kind === 'many-to-many') {
        // This object on the source side, the target side, or both (a relation of an object to itself).
        const sides: [readonly string[], readonly string[]][] = [];
        if (other.name === o.name) sides.push([rel.sourceColumns, rel.targetColumns]);
        if (rel.target === o.name) sides.push([rel.targetColumns, rel.sourceColumns]);
        let count = 0;
        for (const [mine, theirs] of sides) count += await moveLinks(session, rel.through as string, mine, theirs, keepVals, dropVals);
        if (count > 0) moved.push({ object: other.name, relation: rel.name, count });
      }
    }
  }
  const filled: Record<string, unknown> = {};
  for (const f of o.fields) {
    if (f.computed || f.generated || o.key.includes(f.name)) continue;
    const k = keep[f.name];
    const d = drop[f.name];
    if ((k === null || k === undefined) && d !== null && d !== undefined) filled[f.name] = d;
  }
  const soft = o.softDeleteColumn !== undefined;
  if (soft) {
    // The soft-deleted row keeps its values: free the unique ones the kept record takes over.
    const unique = new Set(o.uniques.flat());
    const free: Record<string, unknown> = {};
    for (const name of Object.keys(filled)) {
      const f = om.byName.get(name)?.field as FieldDef;
      if ((f.unique || unique.has(name)) && !f.required) for (const c of Object.keys(om.toColumns({ [name]: null }))) free[c] = null;
    }
    if (Object.keys(free).length) await whereCols(knex(o.table).update(free), om.keyFields.map((f) => f.column), dropVals);
  }
  const actor = options.actor;
  await repo.delete(dropKey, actor !== undefined ? { actor } : {});
  let record = keep;
  if (Object.keys(filled).length) record = await repo.update(keepKey, filled, actor !== undefined ? { actor } : {});
  if (await session.hasTable(AUDIT_TABLE)) {
    await repo.audit(session, keepVals, 'merge', [[null, null, { from: om.keyText(dropVals) }]], actor);
    await repo.audit(session, dropVals, 'merge', [[null, null, { into: om.keyText(keepVals) }]], actor);
  }
  const event: MergeEvent = { object: o.name, keepKey: om.keyOf(keep), dropKey: om.keyOf(drop) };
  (session as StorageTransaction).afterCommit(() => emit(event));
  // After the events of the delete and update above, which wait for the same commit.
  repo.announce(session, { kind: 'merged', ...repo.changeBase(record, options), dropKey: om.keyOf(drop), dropId: om.keyText(dropVals), after: record, version: repo.versionOf(record) });
  return { record, moved, filled: Object.keys(filled) };
}

/** Moves the join rows of `drop` to `keep`; a link `keep` already has is removed instead. */
async function moveLinks(session: StorageSession, through: string, mine: readonly string[], theirs: readonly string[], keepVals: readonly unknown[], dropVals: readonly unknown[]): Promise<number> {
  const knex = session.knex;
  const rows = (await whereCols(knex(through).select([...theirs]), mine, dropVals)) as Record<string, unknown>[];
  for (const row of rows) {
    const other = theirs.map((c) => row[c]);
    const exists = await whereCols(whereCols(knex(through).select(knex.raw('1')), mine, keepVals), theirs, other).first();
    const target = whereCols(whereCols(knex(through), mine, dropVals), theirs, other);
    if (exists) await target.delete();
    else {
      const set: Record<string, unknown> = {};
      mine.forEach((c, i) => (set[c] = keepVals[i]));
      await target.update(set);
    }
  }
  return rows.length;
}
