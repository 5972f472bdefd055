/**
 * Test helpers of the communication server for its own tests and those of assemblies: real SIP
 * peers (SIPp runs bounded in time, baresip as an agent's phone), free loopback ports, sox audio.
 */
export * from './sip-peers.js';
