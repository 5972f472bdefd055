// @caruso/storage: public entry point (filled in by the storage component).
export {};
