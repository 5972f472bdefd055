import { headerValues, parseSipUri, uriOf, type SipMessage } from './sip-message.js';
import type { SipAddress } from './sip-stack.js';

/**
 * Dialog routing (RFC 3261 §12): the route set taken from Record-Route, the remote target taken from
 * Contact, and where a request inside the dialog goes.
 */

/** Where one request inside a dialog goes: its Request-URI, its Route header values and the next hop. */
export interface DialogRequestRoute {
  readonly uri: string;
  readonly routes: readonly string[];
  readonly dest: SipAddress;
}

/**
 * The route set of a dialog (§12.1.1, §12.1.2): the Record-Route values of the request that created
 * it in order (our side is the UAS), or those of the 2xx in reverse order (our side is the UAC).
 */
export function routeSetOf(msg: SipMessage, side: 'uas' | 'uac'): string[] {
  const rr = headerValues(msg, 'record-route');
  return side === 'uac' ? rr.reverse() : rr;
}

/**
 * The address a SIP URI names (host, port 5060 by default, `transport` parameter), or undefined for
 * a URI that is not SIP. Without a `transport` parameter the dialog's own transport is kept, so that a
 * call set up over TCP stays on TCP.
 */
export function uriAddress(uri: string, transport: 'udp' | 'tcp'): SipAddress | undefined {
  const u = parseSipUri(uri);
  if (!u) return undefined;
  const t = u.params['transport']?.toLowerCase();
  return {
    transport: t === 'tcp' ? 'tcp' : t === 'udp' ? 'udp' : transport,
    host: u.host.replace(/^\[|\]$/g, ''),
    port: u.port ?? 5060,
  };
}

/**
 * Request-URI, Route headers and next hop of a request inside a dialog (§12.2.1.1). With a route set
 * whose first entry is a loose router (`;lr`) the Request-URI is the remote target and the whole set
 * goes into Route; with a strict router the first entry becomes the Request-URI and the remote target
 * is appended as the last Route. Either way the request goes to the first entry. Without a route set
 * it goes to the remote target, except when `symmetric`: then to `peer`, the address the far end's
 * requests come from or its registration was made from (a phone behind NAT advertises a Contact that
 * cannot be reached; the way its packets came in can).
 */
export function routeRequest(remoteTarget: string, routeSet: readonly string[], peer: SipAddress, symmetric: boolean): DialogRequestRoute {
  const first = routeSet[0];
  if (first !== undefined) {
    const firstUri = uriOf(first);
    const hop = uriAddress(firstUri, peer.transport) ?? peer;
    const loose = parseSipUri(firstUri)?.params['lr'] !== undefined;
    if (loose) return { uri: remoteTarget, routes: routeSet, dest: hop };
    return { uri: firstUri.replace(/\?.*$/, ''), routes: [...routeSet.slice(1), `<${remoteTarget}>`], dest: hop };
  }
  if (symmetric) return { uri: remoteTarget, routes: [], dest: peer };
  return { uri: remoteTarget, routes: [], dest: uriAddress(remoteTarget, peer.transport) ?? peer };
}
