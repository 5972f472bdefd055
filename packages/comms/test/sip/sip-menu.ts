// A small menu for the SIP tests (the IVR through dialogue scripts is built elsewhere): answer, play
// the welcome prompt, take one key, then offer the call to the telephony channel with the key as
// the dialled service (`menu:<key>`).
import { Emitter } from '@caruso/kernel';
import type { SipTelephonyAdapter, TelephonyAdapter, TelephonyEvent } from '@caruso/comms';

/**
 * A menu in front of the telephony channel: it answers, plays the welcome prompt, collects one key,
 * and only then offers the call to the channel (which queues it by the key).
 */
export class MenuFront implements TelephonyAdapter {
  readonly name: string;
  private readonly emitter = new Emitter<TelephonyEvent>();
  readonly onDidEvent = this.emitter.event;
  readonly keys = new Map<string, string>();
  private readonly offered = new Map<string, { from: string; to: string }>();

  constructor(private readonly sip: SipTelephonyAdapter) {
    this.name = sip.name;
    sip.onDidEvent((e) => {
      if (e.type === 'call-offered') {
        this.offered.set(e.callId, { from: e.from, to: e.to });
        sip.answer(e.callId);
        sip.playPrompt(e.callId, { file: 'welcome.wav' }, { interruptible: true });
        sip.collectDtmf(e.callId, { maxDigits: 1, timeoutMs: 8000 });
        return;
      }
      if (e.type === 'dtmf-collected' && this.offered.has(e.callId)) {
        const call = this.offered.get(e.callId)!;
        this.offered.delete(e.callId);
        this.keys.set(e.callId, e.digits);
        // The key chosen in the menu becomes the dialled service the channel queues by.
        this.emitter.fire({ type: 'call-offered', callId: e.callId, from: call.from, to: `menu:${e.digits}` });
        return;
      }
      if (e.type === 'hung-up') this.offered.delete(e.callId);
      this.emitter.fire(e);
    });
  }

  answer(callId: string): void { this.sip.answer(callId); }
  playPrompt(...a: Parameters<TelephonyAdapter['playPrompt']>): string { return this.sip.playPrompt(...a); }
  collectDtmf(...a: Parameters<TelephonyAdapter['collectDtmf']>): void { this.sip.collectDtmf(...a); }
  record(...a: Parameters<TelephonyAdapter['record']>): void { this.sip.record(...a); }
  bridge(...a: Parameters<TelephonyAdapter['bridge']>): void { this.sip.bridge(...a); }
  cancelBridge(callId: string, endpoint: string): void { this.sip.cancelBridge(callId, endpoint); }
  transfer(callId: string, destination: string): void { this.sip.transfer(callId, destination); }
  hold(callId: string): void { this.sip.hold(callId); }
  unhold(callId: string): void { this.sip.unhold(callId); }
  hangUp(callId: string, cause?: string): void { this.sip.hangUp(callId, cause); }
  originate(...a: Parameters<TelephonyAdapter['originate']>): string { return this.sip.originate(...a); }
}

