-- messages.role was checked with `role IN (...)`, which SQLite 3.40 runs by building a temporary
-- index on every insert: about a twentieth of a whole order-status turn. The same rule, written as
-- comparisons, costs nothing. SQLite cannot change a CHECK in place, so the table is rebuilt
-- (rows, ids and indexes kept as they were).
CREATE TABLE messages_new (
  id                INTEGER PRIMARY KEY,
  conversation_id   TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  role              TEXT NOT NULL CHECK (role = 'user' OR role = 'assistant' OR role = 'agent' OR
                                         role = 'system'),
  text              TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  intent            TEXT NOT NULL DEFAULT '',
  sentiment         TEXT NOT NULL DEFAULT '',
  trace             TEXT NOT NULL DEFAULT '{}',
  prompt_tokens     INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  model             TEXT NOT NULL DEFAULT ''
);
INSERT INTO messages_new (id, conversation_id, role, text, created_at, intent, sentiment, trace,
                          prompt_tokens, completion_tokens, model)
  SELECT id, conversation_id, role, text, created_at, intent, sentiment, trace, prompt_tokens,
         completion_tokens, model
  FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_conversation ON messages(conversation_id, id);
CREATE INDEX messages_created ON messages(created_at);
