-- Dialogue actions: RMA numbers on returns (type may now be 'exchange'), invoice requests,
-- support cases and the human-handoff queue.

-- "RMA" + yyyymmdd (UTC+8) + a 4-digit sequence per day; '' for returns imported without one.
ALTER TABLE returns ADD COLUMN rma_number TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX returns_rma ON returns(rma_number) WHERE rma_number <> '';

-- Shop data: ReplaceShopData deletes these with the orders.
CREATE TABLE invoice_requests (
  id         INTEGER PRIMARY KEY,
  order_id   INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  title      TEXT NOT NULL,
  tax_id     TEXT NOT NULL DEFAULT '',
  email      TEXT NOT NULL DEFAULT '',
  status     TEXT NOT NULL DEFAULT 'requested',
  created_at INTEGER NOT NULL
);
CREATE INDEX invoice_requests_order ON invoice_requests(order_id);

-- Cases outlive a demo reset, like conversations: the order is kept by number, not by row id.
CREATE TABLE support_cases (
  id              INTEGER PRIMARY KEY,
  case_number     TEXT NOT NULL UNIQUE,  -- "CS" + yyyymmdd (UTC+8) + a 4-digit sequence per day
  order_number    TEXT NOT NULL DEFAULT '',
  conversation_id TEXT NOT NULL DEFAULT '',
  kind            TEXT NOT NULL,
  description     TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL DEFAULT 'open',
  created_at      INTEGER NOT NULL
);
CREATE INDEX support_cases_conversation ON support_cases(conversation_id, id);

-- One row per ticket; closed tickets stay as history. conversations.status follows the open
-- ticket: queued, agent (assigned), back to open when it closes.
CREATE TABLE handoffs (
  id              INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  status          TEXT NOT NULL CHECK (status IN ('queued', 'assigned', 'closed')),
  priority        INTEGER NOT NULL DEFAULT 0,
  reason          TEXT NOT NULL DEFAULT '',
  summary         TEXT NOT NULL DEFAULT '{}',
  agent           TEXT NOT NULL DEFAULT '',
  lang            TEXT NOT NULL DEFAULT '',
  queued_at       INTEGER NOT NULL,
  claimed_at      INTEGER,
  closed_at       INTEGER
);
-- At most one open (queued or assigned) ticket per conversation.
CREATE UNIQUE INDEX handoffs_open ON handoffs(conversation_id) WHERE status <> 'closed';
CREATE INDEX handoffs_queue ON handoffs(priority DESC, queued_at) WHERE status <> 'closed';
