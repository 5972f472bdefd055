import type { ScriptObjectDef, ScriptObjectModel } from '@caruso/dialogue';

type Field = ScriptObjectDef['fields'][number];
const field = (name: string, type: string, more: Partial<Field> = {}): Field => ({ name, type, required: false, generated: false, ...more });
const id = field('id', 'id', { generated: true });
const customer = { name: 'customer', kind: 'many-to-one', target: 'Customer', fields: ['customerId'] };

/** The shape of the model of test/fixtures/objects (the objects package's Model has it). */
export const serviceModel: ScriptObjectModel = {
  objects: [
    { name: 'Customer', key: ['id'], fields: [id, field('customerNumber', 'string', { required: true }), field('name', 'string'), field('email', 'email')], relations: [] },
    {
      name: 'ServiceRequest',
      key: ['id'],
      fields: [id, field('customerId', 'integer', { required: true }), field('subject', 'string', { required: true }), field('email', 'email'), field('status', 'enum', { required: true, defaultValue: 'open' })],
      relations: [customer],
    },
    { name: 'Debt', key: ['id'], versionColumn: 'version', fields: [id, field('customerId', 'integer', { required: true }), field('amount', 'money'), field('status', 'enum')], relations: [customer] },
  ],
};
