import { createToken, type Event } from '@caruso/kernel';
import type { AgentConfig, AgentSnapshot, ContactSnapshot, ContactSpec, ExitReason, Offer, QueueConfig } from './model.js';
import type { AgentStateChange, ContactExit, QueuePosition, QueueStatus, WithdrawReason } from './queue-router.js';

/**
 * The communication server's contract, as other components reach it through the service manager.
 * Every method that changes something resolves only once the events of the change are durable in
 * the contact event log (rule 4 of the architecture); bad input rejects with a coded error and
 * changes nothing.
 */
export interface CommunicationServer {
  /** Adds a queue (CARUSO_COMMS_INVALID_QUEUE, CARUSO_COMMS_DUPLICATE). */
  addQueue(config: QueueConfig): Promise<void>;
  /** Adds an agent, logged out (CARUSO_COMMS_INVALID_AGENT, CARUSO_COMMS_UNKNOWN_QUEUE, CARUSO_COMMS_DUPLICATE). */
  addAgent(config: AgentConfig): Promise<void>;
  login(agentId: string): Promise<void>;
  /** Logs out; with `force` the agent's connected contacts go back in line. */
  logout(agentId: string, options?: { readonly force?: boolean }): Promise<void>;
  pause(agentId: string, reason: string): Promise<void>;
  resume(agentId: string): Promise<void>;
  finishWrapUp(agentId: string): Promise<void>;
  /** Queues a contact (an e-mail, a chat, a callback request, a call from a channel) and routes it. */
  enqueue(spec: ContactSpec): Promise<ContactSnapshot>;
  accept(offerId: string): Promise<void>;
  reject(offerId: string, reason?: string): Promise<void>;
  complete(contactId: string, by?: 'agent' | 'caller'): Promise<void>;
  abandon(contactId: string): Promise<void>;
  exit(contactId: string, reason: ExitReason): Promise<void>;
  hold(contactId: string): Promise<void>;
  retrieve(contactId: string): Promise<void>;
  transferToQueue(contactId: string, queueId: string): Promise<void>;
  /** The customer leaves the line and keeps their place: a `callback` contact to `number` takes it. */
  requestCallback(contactId: string, number: string): Promise<ContactSnapshot>;
  /** A contact (undefined once ended). */
  contact(contactId: string): ContactSnapshot | undefined;
  agent(agentId: string): AgentSnapshot;
  waiting(queueId: string): ContactSnapshot[];
  queueStatus(queueId: string): QueueStatus;
  position(contactId: string): QueuePosition | undefined;
  pendingOffers(agentId?: string): Offer[];
  readonly onDidOffer: Event<Offer>;
  readonly onDidWithdrawOffer: Event<{ readonly offer: Offer; readonly reason: WithdrawReason }>;
  readonly onDidExit: Event<ContactExit>;
  readonly onDidChangeAgentState: Event<AgentStateChange>;
}

/** The communication server's token. */
export const CommunicationServer = createToken<CommunicationServer>('caruso.comms');
