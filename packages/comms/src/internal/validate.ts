import { ExpressionError, parseExpression, type CompiledExpression } from '@caruso/dialogue';
import { CommsErrors } from '../errors.js';
import { weeklyHoursProblem } from '../acd/opening-hours.js';
import {
  CHANNELS,
  ROUTING_STRATEGIES,
  type AgentConfig,
  type AgentQueueChoice,
  type ContactSpec,
  type OverflowRule,
  type QueueConfig,
  type SkillRequirement,
} from '../contract/model.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** A number or endpoint the communication server can dial (a callback's, a transfer's, a campaign target's). */
export const DIALABLE = /^\+?[0-9A-Za-z:@.*#-]{2,64}$/;

type Raise = (reason: string) => never;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function only(o: Record<string, unknown>, allowed: readonly string[], raise: Raise): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) raise(`unknown field '${k}' (allowed: ${allowed.join(', ')})`);
}

function nonNegative(o: Record<string, unknown>, field: string, raise: Raise, integer = false): void {
  const v = o[field];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    raise(`'${field}' must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got ${JSON.stringify(v)}`);
  }
}

function skills(v: unknown, field: string, raise: Raise): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) raise(`'${field}' must be a list of { skill, minLevel }`);
  for (const [i, r] of (v as unknown[]).entries()) {
    if (!isObject(r)) raise(`'${field}[${i}]' must be an object { skill, minLevel }`);
    const req = r as Partial<SkillRequirement> & Record<string, unknown>;
    only(req, ['skill', 'minLevel'], (m) => raise(`'${field}[${i}]': ${m}`));
    if (typeof req.skill !== 'string' || !ID.test(req.skill)) raise(`'${field}[${i}].skill' must be a skill name`);
    if (typeof req.minLevel !== 'number' || !Number.isFinite(req.minLevel)) raise(`'${field}[${i}].minLevel' must be a number`);
  }
}

const QUEUE_FIELDS = [
  'id', 'strategy', 'requiredSkills', 'ageingPerSecond', 'maxWaitMs', 'maxLength', 'wrapUpMs', 'ringTimeoutMs', 'maxNoAnswer', 'overflow',
  'openingHours', 'afterHours', 'whenEmpty', 'agentExpression', 'voicemailQueueId', 'announce',
];

/** Validates a queue configuration that may come from a file or the wire. */
export function validateQueueConfig(input: unknown): QueueConfig {
  return validateQueue(input).config;
}

/**
 * Validates a queue configuration and compiles its agent expression (the router keeps it).
 * Throws CARUSO_COMMS_INVALID_QUEUE naming the field.
 */
export function validateQueue(input: unknown): { readonly config: QueueConfig; readonly expr: CompiledExpression | undefined } {
  const id = isObject(input) && typeof input['id'] === 'string' ? input['id'] : '?';
  const raise: Raise = (reason) => {
    throw CommsErrors.CARUSO_COMMS_INVALID_QUEUE({ queue: id, reason });
  };
  if (!isObject(input)) raise('the configuration must be an object');
  const o = input as Record<string, unknown>;
  only(o, QUEUE_FIELDS, raise);
  if (typeof o['id'] !== 'string' || !ID.test(o['id'])) raise("'id' must be letters, digits and . _ : @ - (at most 128)");
  if (o['strategy'] !== undefined && !ROUTING_STRATEGIES.includes(o['strategy'] as never)) {
    raise(`unknown strategy ${JSON.stringify(o['strategy'])}; use one of ${ROUTING_STRATEGIES.join(', ')}`);
  }
  skills(o['requiredSkills'], 'requiredSkills', raise);
  for (const f of ['ageingPerSecond', 'maxWaitMs', 'wrapUpMs', 'ringTimeoutMs']) nonNegative(o, f, raise);
  for (const f of ['maxLength', 'maxNoAnswer']) nonNegative(o, f, raise, true);
  if (o['ringTimeoutMs'] === 0) raise("'ringTimeoutMs' must be above 0");
  if (o['overflow'] !== undefined) {
    if (!Array.isArray(o['overflow'])) raise("'overflow' must be a list of rules");
    for (const [i, r] of (o['overflow'] as unknown[]).entries()) {
      const at = `overflow[${i}]`;
      if (!isObject(r)) raise(`'${at}' must be an object`);
      const rule = r as Record<string, unknown>;
      nonNegative(rule, 'afterMs', (m) => raise(`'${at}': ${m}`));
      if (typeof rule['afterMs'] !== 'number') raise(`'${at}.afterMs' is required`);
      if (rule['action'] === 'move') {
        only(rule, ['afterMs', 'action', 'queueId'], (m) => raise(`'${at}': ${m}`));
        if (typeof rule['queueId'] !== 'string' || !ID.test(rule['queueId'])) raise(`'${at}.queueId' must name a queue`);
        if (rule['queueId'] === o['id']) raise(`'${at}' moves contacts to the queue itself`);
      } else if (rule['action'] === 'widen-skills' || rule['action'] === 'voicemail' || rule['action'] === 'callback') {
        only(rule, ['afterMs', 'action'], (m) => raise(`'${at}': ${m}`));
      } else {
        raise(`'${at}.action' must be widen-skills, move, voicemail or callback`);
      }
    }
  }
  if (o['openingHours'] !== undefined) {
    const problem = weeklyHoursProblem(o['openingHours']);
    if (problem) raise(`openingHours: ${problem}`);
  }
  for (const field of ['afterHours', 'whenEmpty'] as const) {
    const a = o[field];
    if (a === undefined) continue;
    if (!isObject(a)) raise(`'${field}' must be { action: voicemail | message | queue }`);
    const act = a as Record<string, unknown>;
    if (act['action'] === 'voicemail') only(act, ['action'], (m) => raise(`'${field}': ${m}`));
    else if (act['action'] === 'message') {
      only(act, ['action', 'prompt'], (m) => raise(`'${field}': ${m}`));
      if (typeof act['prompt'] !== 'string' || act['prompt'].length === 0) raise(`'${field}.prompt' must be a text`);
    } else if (act['action'] === 'queue') {
      only(act, ['action', 'queueId'], (m) => raise(`'${field}': ${m}`));
      if (typeof act['queueId'] !== 'string' || !ID.test(act['queueId']) || act['queueId'] === o['id']) raise(`'${field}.queueId' must name another queue`);
    } else raise(`'${field}.action' must be voicemail, message or queue`);
  }
  let expr: CompiledExpression | undefined;
  if (o['agentExpression'] !== undefined) {
    if (typeof o['agentExpression'] !== 'string' || o['agentExpression'].trim().length === 0) raise("'agentExpression' must be a text");
    try {
      expr = parseExpression(o['agentExpression'] as string);
    } catch (err) {
      raise(`agentExpression at ${err instanceof ExpressionError ? err.offset : 0}: ${(err as Error).message}`);
    }
  }
  if (o['voicemailQueueId'] !== undefined && (typeof o['voicemailQueueId'] !== 'string' || !ID.test(o['voicemailQueueId']))) raise("'voicemailQueueId' must name a queue");
  if (o['announce'] !== undefined) {
    const an = o['announce'];
    if (!isObject(an)) raise("'announce' must be an object { everyMs?, onEntry?, position?, expectedWait?, text?, language? }");
    const x = an as Record<string, unknown>;
    only(x, ['everyMs', 'onEntry', 'position', 'expectedWait', 'text', 'language'], (m) => raise(`'announce': ${m}`));
    if (x['everyMs'] !== undefined && (typeof x['everyMs'] !== 'number' || !Number.isFinite(x['everyMs']) || x['everyMs'] < 1_000)) raise("'announce.everyMs' must be a number of ms, at least 1000");
    for (const f of ['onEntry', 'position', 'expectedWait']) if (x[f] !== undefined && typeof x[f] !== 'boolean') raise(`'announce.${f}' must be true or false`);
    if (x['text'] !== undefined && (typeof x['text'] !== 'string' || x['text'].trim().length === 0 || x['text'].length > 500)) raise("'announce.text' must be a text of at most 500 characters");
    if (x['language'] !== undefined && (typeof x['language'] !== 'string' || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(x['language']))) raise("'announce.language' must be a language tag such as en or nl-BE");
    if (x['text'] === undefined && x['position'] === false && x['expectedWait'] === false) raise("'announce' says neither the position nor the expected wait; give a text or leave the queue without announcements");
  }
  return { config: o as unknown as QueueConfig, expr };
}

/** Validates an agent configuration. */
export function validateAgentConfig(input: unknown): AgentConfig {
  const id = isObject(input) && typeof input['id'] === 'string' ? input['id'] : '?';
  const raise: Raise = (reason) => {
    throw CommsErrors.CARUSO_COMMS_INVALID_AGENT({ agent: id, reason });
  };
  if (!isObject(input)) raise('the configuration must be an object');
  const o = input as Record<string, unknown>;
  only(o, ['id', 'skills', 'queues', 'capacity', 'endpoint', 'attributes', 'selectableQueues'], raise);
  if (typeof o['id'] !== 'string' || !ID.test(o['id'])) raise("'id' must be letters, digits and . _ : @ - (at most 128)");
  if (o['skills'] !== undefined) {
    if (!isObject(o['skills'])) raise("'skills' must be an object of skill → level");
    for (const [k, v] of Object.entries(o['skills'] as Record<string, unknown>)) {
      if (!ID.test(k)) raise(`skill name ${JSON.stringify(k)} is not valid`);
      if (typeof v !== 'number' || !Number.isFinite(v)) raise(`skill '${k}' must have a numeric level`);
    }
  }
  if (!Array.isArray(o['queues'])) raise("'queues' must be a list of { queueId, level?, weight? }");
  const seen = new Set<string>();
  for (const [i, m] of (o['queues'] as unknown[]).entries()) {
    if (!isObject(m)) raise(`'queues[${i}]' must be an object`);
    const mm = m as Record<string, unknown>;
    only(mm, ['queueId', 'level', 'weight'], (r) => raise(`'queues[${i}]': ${r}`));
    if (typeof mm['queueId'] !== 'string') raise(`'queues[${i}].queueId' is required`);
    if (seen.has(mm['queueId'] as string)) raise(`queue '${String(mm['queueId'])}' is listed twice`);
    seen.add(mm['queueId'] as string);
    if (mm['level'] !== undefined && (typeof mm['level'] !== 'number' || !Number.isFinite(mm['level']))) raise(`'queues[${i}].level' must be a number`);
    nonNegative(mm, 'weight', (r) => raise(`'queues[${i}]': ${r}`));
  }
  if (o['capacity'] !== undefined) {
    if (!isObject(o['capacity'])) raise("'capacity' must be an object { voice?, email?, chat? }");
    const c = o['capacity'] as Record<string, unknown>;
    only(c, ['voice', 'email', 'chat'], raise);
    for (const k of Object.keys(c)) nonNegative(c, k, (r) => raise(`capacity: ${r}`), true);
  }
  if (o['endpoint'] !== undefined && (typeof o['endpoint'] !== 'string' || o['endpoint'].length === 0 || o['endpoint'].length > 512)) {
    raise("'endpoint' must be a non-empty string");
  }
  if (o['attributes'] !== undefined) {
    if (!isObject(o['attributes'])) raise("'attributes' must be an object of name → value");
    for (const [k, v] of Object.entries(o['attributes'] as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k)) raise(`attribute name ${JSON.stringify(k)} must be a name usable in an expression`);
      if (!isScriptValue(v, 0)) raise(`attribute '${k}' must be a text, number, boolean, null, or a list or object of those`);
    }
  }
  if (o['selectableQueues'] !== undefined) {
    const list = o['selectableQueues'];
    if (!Array.isArray(list) || !list.every((q) => typeof q === 'string' && ID.test(q))) raise("'selectableQueues' must be a list of queue ids");
  }
  return o as unknown as AgentConfig;
}

/**
 * Validates the queues an agent chooses (`setAgentQueues`): a list of `{ queue, level? }`, each
 * queue once. Throws CARUSO_COMMS_INVALID_AGENT naming the entry.
 */
export function validateAgentQueueChoices(agentId: string, input: unknown): AgentQueueChoice[] {
  const raise: Raise = (reason) => {
    throw CommsErrors.CARUSO_COMMS_INVALID_AGENT({ agent: agentId, reason });
  };
  if (!Array.isArray(input)) raise("the queues must be a list of { queue, level? }");
  const seen = new Set<string>();
  for (const [i, m] of (input as unknown[]).entries()) {
    if (!isObject(m)) raise(`'queues[${i}]' must be an object { queue, level? }`);
    const mm = m as Record<string, unknown>;
    only(mm, ['queue', 'level'], (r) => raise(`'queues[${i}]': ${r}`));
    if (typeof mm['queue'] !== 'string' || !ID.test(mm['queue'])) raise(`'queues[${i}].queue' must be a queue id`);
    if (seen.has(mm['queue'] as string)) raise(`queue '${String(mm['queue'])}' is chosen twice`);
    seen.add(mm['queue'] as string);
    if (mm['level'] !== undefined && (typeof mm['level'] !== 'number' || !Number.isFinite(mm['level']))) raise(`'queues[${i}].level' must be a number`);
  }
  return input as AgentQueueChoice[];
}

function isScriptValue(v: unknown, depth: number): boolean {
  if (depth > 8) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isScriptValue(x, depth + 1));
  if (isObject(v)) return Object.values(v).every((x) => isScriptValue(x, depth + 1));
  return false;
}

/** Validates a contact specification. */
export function validateContactSpec(input: unknown): ContactSpec {
  const id = isObject(input) && typeof input['id'] === 'string' ? input['id'] : '(new)';
  const raise: Raise = (reason) => {
    throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: id, reason });
  };
  if (!isObject(input)) raise('the contact must be an object');
  const o = input as Record<string, unknown>;
  only(o, ['id', 'channel', 'direction', 'queueId', 'priority', 'requiredSkills', 'enteredAt', 'data'], raise);
  if (o['id'] !== undefined && (typeof o['id'] !== 'string' || !ID.test(o['id']))) raise("'id' must be letters, digits and . _ : @ - (at most 128)");
  if (!CHANNELS.includes(o['channel'] as never)) raise(`'channel' must be one of ${CHANNELS.join(', ')}`);
  if (o['direction'] !== undefined && o['direction'] !== 'inbound' && o['direction'] !== 'outbound') raise("'direction' must be inbound or outbound");
  if (typeof o['queueId'] !== 'string') raise("'queueId' is required");
  if (o['priority'] !== undefined && (typeof o['priority'] !== 'number' || !Number.isFinite(o['priority']))) raise("'priority' must be a number");
  skills(o['requiredSkills'], 'requiredSkills', raise);
  if (o['enteredAt'] !== undefined && (typeof o['enteredAt'] !== 'number' || !Number.isFinite(o['enteredAt']))) raise("'enteredAt' must be a time in ms");
  if (o['data'] !== undefined && !isObject(o['data'])) raise("'data' must be an object");
  return o as unknown as ContactSpec;
}

/** Sorts overflow rules by their delay (stable). */
export function sortedRules(rules: readonly OverflowRule[] | undefined): OverflowRule[] {
  return [...(rules ?? [])].sort((a, b) => a.afterMs - b.afterMs);
}
