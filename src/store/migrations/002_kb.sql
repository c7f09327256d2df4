-- Knowledge base: one row per imported document. The kb module owns the JSON columns (the parsed
-- document and its chunks); the index is rebuilt from them at start, so no derived data is stored.
CREATE TABLE kb_documents (
  id           TEXT PRIMARY KEY,
  content_hash TEXT NOT NULL,
  format       TEXT NOT NULL,
  lang         TEXT NOT NULL,
  category     TEXT NOT NULL DEFAULT '',
  title        TEXT NOT NULL DEFAULT '',
  source       TEXT NOT NULL DEFAULT '',
  updated_at   INTEGER NOT NULL,
  document     TEXT NOT NULL,  -- JSON: the parsed document (body, tags, FAQ pair)
  chunks       TEXT NOT NULL   -- JSON array: the chunks the index holds
);
CREATE INDEX kb_documents_category ON kb_documents(category);
