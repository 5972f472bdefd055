// @caruso/objects: public entry point (filled in by the objects component).
export {};
