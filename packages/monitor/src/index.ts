// @caruso/monitor: public entry point (filled in by the monitor component).
export {};
