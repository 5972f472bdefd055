import { Disposable, silentLogger, type Logger } from '@caruso/kernel';
import type { QueueRouter } from './queue-router.js';
import type { TelephonyAdapter, TelephonyEvent } from './telephony-adapter.js';

/** Options of a {@link TelephonyChannel}. */
export interface TelephonyChannelOptions {
  readonly router: QueueRouter;
  readonly telephony: TelephonyAdapter;
  /** The queue of an inbound call, by dialled number (default: `defaultQueueId`). */
  readonly queueFor?: (call: { readonly from: string; readonly to: string }) => string | undefined;
  /** Queue for calls `queueFor` does not place. */
  readonly defaultQueueId: string;
  /** The endpoint of an agent without one configured (default `agent:<id>`). */
  readonly endpointOf?: (agentId: string) => string;
  readonly logger?: Logger;
}

interface Ringing {
  readonly offerId: string;
  readonly callId: string;
  readonly endpoint: string;
}

/**
 * Connects a telephony adapter to the router: an inbound call becomes a `call` contact (its id is
 * the call id), an offer rings the agent's endpoint, the endpoint answering connects the contact,
 * a hang-up completes or abandons it, and a contact leaving its queue is hung up.
 *
 * Note: the IVR (a dialogue script before queueing), voicemail and callbacks plug in here; they are
 * not part of this first version.
 */
export class TelephonyChannel extends Disposable {
  private readonly ringing = new Map<string, Ringing>();
  private readonly logger: Logger;

  constructor(private readonly options: TelephonyChannelOptions) {
    super();
    this.logger = options.logger ?? silentLogger();
    const { router, telephony } = options;
    this.register(telephony.onDidEvent((e) => this.onTelephony(e)));
    this.register(
      router.onDidOffer((o) => {
        if (o.channel !== 'call') return;
        const endpoint = o.endpoint ?? this.endpointOf(o.agentId);
        this.ringing.set(ringKey(o.contactId, endpoint), { offerId: o.offerId, callId: o.contactId, endpoint });
        telephony.bridge(o.contactId, endpoint, { ringTimeoutMs: o.ringTimeoutMs });
      }),
    );
    this.register(
      router.onDidWithdrawOffer(({ offer }) => {
        if (offer.channel !== 'call') return;
        const endpoint = offer.endpoint ?? this.endpointOf(offer.agentId);
        if (this.ringing.delete(ringKey(offer.contactId, endpoint))) telephony.cancelBridge(offer.contactId, endpoint);
      }),
    );
    this.register(
      router.onDidExit((e) => {
        if (e.channel === 'call') telephony.hangUp(e.contactId, e.reason);
      }),
    );
  }

  private endpointOf(agentId: string): string {
    return this.options.endpointOf?.(agentId) ?? `agent:${agentId}`;
  }

  private onTelephony(e: TelephonyEvent): void {
    const { router, telephony } = this.options;
    switch (e.type) {
      case 'call-offered': {
        const queueId = this.options.queueFor?.(e) ?? this.options.defaultQueueId;
        telephony.answer(e.callId);
        try {
          router.enqueue({ id: e.callId, channel: 'call', queueId });
        } catch (err) {
          this.logger.error({ err, queue: queueId }, 'inbound call could not be queued; hanging up');
          telephony.hangUp(e.callId, 'not-queued');
        }
        return;
      }
      case 'bridged': {
        const r = this.ringing.get(ringKey(e.callId, e.endpoint));
        if (!r) return;
        this.ringing.delete(ringKey(e.callId, e.endpoint));
        router.accept(r.offerId);
        return;
      }
      case 'bridge-failed': {
        const r = this.ringing.get(ringKey(e.callId, e.endpoint));
        if (!r) return;
        this.ringing.delete(ringKey(e.callId, e.endpoint));
        router.reject(r.offerId, e.cause);
        return;
      }
      case 'held':
        if (router.contact(e.callId)?.state === 'connected') router.hold(e.callId);
        return;
      case 'unheld':
        if (router.contact(e.callId)?.state === 'connected') router.retrieve(e.callId);
        return;
      case 'hung-up': {
        const c = router.contact(e.callId);
        if (!c) return;
        if (c.state === 'connected') router.complete(e.callId, e.by === 'remote' ? 'caller' : 'agent');
        else router.abandon(e.callId);
        return;
      }
      default:
        return;
    }
  }
}

function ringKey(callId: string, endpoint: string): string {
  return `${callId}\u0000${endpoint}`;
}
