// @caruso/dialogue: public entry point (filled in by the dialogue component).
export {};
