-- A conversation's messages are found by a chain instead of an index: each message names the one
-- before it in its conversation (prev_id), and the conversation its newest (last_message_id).
-- The index on (conversation_id, id) cost every turn two inserts at a random place, one page of
-- WAL each (about half of what a turn wrote) for a lookup that only reading a history needs;
-- the conversation's row is written by every turn anyway. History reads walk the chain by row
-- id (SqliteStore::ListMessages).
ALTER TABLE messages ADD COLUMN prev_id INTEGER;
ALTER TABLE conversations ADD COLUMN last_message_id INTEGER;
UPDATE messages SET prev_id = (SELECT max(p.id) FROM messages p
                               WHERE p.conversation_id = messages.conversation_id
                               AND p.id < messages.id);
UPDATE conversations SET last_message_id = (SELECT max(m.id) FROM messages m
                                            WHERE m.conversation_id = conversations.id);
DROP INDEX messages_conversation;
