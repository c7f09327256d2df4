-- What each model-written reply cost: the tokens of its prompts and of its completions (every
-- attempt of the turn, regenerations included) and the backend that wrote it ('' when the
-- template answered). Analytics sums these per day and per backend.
ALTER TABLE messages ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN model TEXT NOT NULL DEFAULT '';
