/**
 * The owner under which the SIP adapter's contained faults are logged and counted (the kernel's
 * `containFault`, `faultCount('caruso.comms/sip')`): a packet, a media clock tick or a timer whose
 * handling threw.
 */
export const SIP_FAULTS = 'caruso.comms/sip';
