// @caruso/comms: public entry point (filled in by the communication server).
export {};
