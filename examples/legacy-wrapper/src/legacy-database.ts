import Database from 'better-sqlite3';

/**
 * The legacy system itself, for the example: an old customer database with its own table and
 * column names (`KLANTEN`, `KLNR`, …) that Caruso must not change. Real sites already have one;
 * this creates a small one so the example and its tests run anywhere.
 */
export function createLegacyDatabase(file: string): void {
  const db = new Database(file);
  try {
    db.exec(`
      CREATE TABLE IF NOT EXISTS KLANTEN (
        KLNR     TEXT PRIMARY KEY,
        NAAM     TEXT NOT NULL,
        TELNR    TEXT,
        SALDO_CT INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS BETALINGEN (
        ID       INTEGER PRIMARY KEY AUTOINCREMENT,
        KLNR     TEXT NOT NULL REFERENCES KLANTEN(KLNR),
        BEDRAG_CT INTEGER NOT NULL,
        GEBOEKT  TEXT NOT NULL
      );
    `);
    const insert = db.prepare('INSERT OR IGNORE INTO KLANTEN (KLNR, NAAM, TELNR, SALDO_CT) VALUES (?, ?, ?, ?)');
    insert.run('100042', 'J. Jansen', '0201234567', 12_550);
    insert.run('100043', 'M. de Vries', '0107654321', 0);
    insert.run('100044', 'A. Bakker', '0301112233', 4_200);
  } finally {
    db.close();
  }
}
