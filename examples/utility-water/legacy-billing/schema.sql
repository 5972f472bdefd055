-- The billing system of Waterbedrijf Heuvelrug ("AquaNota", 2003): other tables and columns than
-- the energy supplier's, one invoice key, and a separate blocked flag. Caruso does not own them.
CREATE TABLE IF NOT EXISTS klantrekening (
  reknr           TEXT PRIMARY KEY,
  tenaamstelling  TEXT NOT NULL,
  bankrekening    TEXT,
  saldo_centen    INTEGER NOT NULL DEFAULT 0,
  geblokkeerd     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS nota (
  notanummer      TEXT PRIMARY KEY,
  reknr           TEXT NOT NULL REFERENCES klantrekening (reknr),
  notadatum       TEXT NOT NULL,
  vervaldatum     TEXT NOT NULL,
  bedrag_centen   INTEGER NOT NULL,
  rest_centen     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS betaalafspraak (
  afspraaknr        INTEGER PRIMARY KEY AUTOINCREMENT,
  reknr             TEXT NOT NULL REFERENCES klantrekening (reknr),
  bedrag_totaal     INTEGER NOT NULL,
  aantal_termijnen  INTEGER NOT NULL,
  bedrag_termijn    INTEGER NOT NULL,
  startdatum        TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'actief',
  vastgelegd        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mutatie_log (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  reknr           TEXT NOT NULL REFERENCES klantrekening (reknr),
  soort           TEXT NOT NULL,
  ingangsdatum    TEXT NOT NULL,
  eindstand_m3    INTEGER,
  nieuw_adres     TEXT,
  vastgelegd      TEXT NOT NULL
);
