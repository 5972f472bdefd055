// @caruso/frontoffice: public entry point (filled in by the front-office component).
export {};
