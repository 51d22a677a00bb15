-- Call recording (docs/api.md, "Phone calls end to end"): a queue's
-- override of the company's recording setting (NULL: the company's), and
-- the recordings fetched from Twilio into the file storage, each linked
-- to its call. A recording's content is a files row of kind 'recording'.
ALTER TABLE queues ADD COLUMN recording text
	CHECK (recording IS NULL OR recording IN ('off', 'on', 'on-demand'));

CREATE TABLE call_recordings (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	call_id		uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	file_id		uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
	source		text NOT NULL CHECK (source IN ('twilio', 'browser')),
	source_id	text CHECK (source_id IS NULL OR length(source_id) <= 64),
	channels	int NOT NULL DEFAULT 1 CHECK (channels BETWEEN 1 AND 2),
	duration	int NOT NULL DEFAULT 0 CHECK (duration >= 0),
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (company_id, source_id)
);
CREATE INDEX call_recordings_call_idx ON call_recordings (call_id, created_at);
