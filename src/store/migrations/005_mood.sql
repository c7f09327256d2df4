-- The shopper's mood on the agent queue: the conversation's decaying sentiment aggregate in
-- [-1, 1] (lower is unhappier), set when the ticket is queued and moved by every later turn.
-- Agents are served by priority, then the unhappiest shopper, then the longest wait.
ALTER TABLE handoffs ADD COLUMN mood REAL NOT NULL DEFAULT 0;
DROP INDEX handoffs_queue;
CREATE INDEX handoffs_queue ON handoffs(priority DESC, mood, queued_at) WHERE status <> 'closed';
