-- The operator's dashboard reads days of activity: conversations by start time, messages and
-- handoff tickets by time. Without these it would scan every row of the busiest tables.
CREATE INDEX conversations_created ON conversations(created_at);
CREATE INDEX messages_created ON messages(created_at);
CREATE INDEX handoffs_queued ON handoffs(queued_at);
