/**
 * Outbound campaigns for supervisors: their progress, and start, pause and stop through the
 * communication server. Agents and visitors are refused; an unknown campaign is 404 and a change
 * the campaign's state does not allow (starting a finished one) is 409, both from the server.
 */
import type { FastifyInstance } from 'fastify';
import type { CommunicationServer } from '@caruso/comms';
import type { Logger } from '@caruso/kernel';
import { need } from './internal/http.js';
import { CAMPAIGN_PROGRESS, closed, errors, NO_BODY, routeSchema } from './internal/route-schemas.js';

export interface CampaignsApiDeps {
  readonly comms: () => CommunicationServer;
  /** Where each change is logged with the supervisor who made it. */
  readonly logger: Logger;
}

const ACTIONS = ['start', 'pause', 'stop'] as const;
const PARAMS = {
  type: 'object',
  required: ['id', 'action'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }, action: { type: 'string', enum: [...ACTIONS] } },
} as const;

export function registerCampaignsApi(fastify: FastifyInstance, deps: CampaignsApiDeps): void {
  fastify.get('/api/campaigns', {
    schema: routeSchema('The outbound campaigns with their progress (status, targets, dials, answered, dropped, drop rate)', ['supervisor', 'administrator'], { response: { 200: { description: 'the campaigns', ...closed({ data: { type: 'array', items: CAMPAIGN_PROGRESS } }) }, ...errors(503) } }),
  }, async (req) => {
    need(req, ['supervisor', 'administrator'], 'read campaigns');
    return { data: deps.comms().campaigns() };
  });

  fastify.post('/api/campaigns/:id/:action', {
    schema: routeSchema('Start, pause or stop a campaign (action: start, pause or stop); the change is durable before the answer', ['supervisor', 'administrator'], {
      params: PARAMS,
      body: NO_BODY,
      response: { 200: { description: 'the campaign with its progress', ...closed({ data: CAMPAIGN_PROGRESS }) }, ...errors([404, 'no such campaign'], [409, 'the campaign cannot do that in its state (e.g. start a finished one)'], 503) },
    }),
  }, async (req) => {
    const p = need(req, ['supervisor', 'administrator'], 'start, pause or stop campaigns');
    const { id, action } = req.params as { id: string; action: (typeof ACTIONS)[number] };
    const comms = deps.comms();
    if (action === 'start') await comms.startCampaign(id);
    else if (action === 'pause') await comms.pauseCampaign(id);
    else await comms.stopCampaign(id);
    deps.logger.info({ campaign: id, action, by: p.name }, 'campaign changed by a supervisor');
    return { data: comms.campaignProgress(id) };
  });
}
