-- A caller's personal data on request, stored contents that outlive their
-- rows, and Twilio recordings still to fetch (docs/api.md, "Purging a
-- caller's personal data" and "Phone calls end to end").

-- Contents of the file storage whose files rows are gone (a purge, a
-- deleted company, an expired recording): inserted in the transaction
-- that deletes the rows, deleted once the content is gone from the
-- storage. What a first try after the commit could not delete, the
-- recording sweeper tries again (next_attempt_at). No reference: the
-- company may be gone with its files.
CREATE TABLE storage_trash (
	file_id		uuid PRIMARY KEY,
	company_id	uuid NOT NULL,
	attempts	int NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX storage_trash_due ON storage_trash (next_attempt_at);
CREATE INDEX storage_trash_company ON storage_trash (company_id);

-- The keys of a call event's data that a purge keeps: ids, node names,
-- counters, the system's own words. Free text (reason, notes), numbers
-- and what a caller typed go.
CREATE FUNCTION caller_purge_details(d jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
	FROM jsonb_each(coalesce(d, '{}'::jsonb)) AS t (k, v)
	WHERE k IN ('agent_id', 'queue_id', 'from_queue', 'overflow', 'node',
	    'type', 'flow', 'flow_id', 'version', 'attempts',
	    'callback_attempts', 'ring_timeout', 'state', 'pending_state',
	    'disposition', 'media')
$$;

-- A webhook delivery's payload with its call's personal fields emptied
-- and its details as caller_purge_details() keeps them.
CREATE FUNCTION caller_purge_payload(p jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN jsonb_typeof(p->'data') <> 'object' THEN p
	ELSE jsonb_set(p, '{data}', (p->'data')
	    || CASE WHEN jsonb_typeof(p->'data'->'call') = 'object' THEN
		jsonb_build_object('call', (p->'data'->'call')
		    || '{"caller_number": null, "caller_name": null,
			"caller_data": {}, "notes": null}'::jsonb)
		ELSE '{}'::jsonb END
	    || CASE WHEN p->'data' ? 'details' THEN
		jsonb_build_object('details',
		    caller_purge_details(p->'data'->'details'))
		ELSE '{}'::jsonb END) END
$$;

-- A Twilio recording to fetch into the file storage: inserted when Twilio
-- posts that it is ready, deleted once stored. A failed round of tries
-- waits until next_attempt_at (the REST thread's sweep takes it then, and
-- at start-up); after the last round it stays, failed.
CREATE TABLE recording_fetches (
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	source_id	text NOT NULL CHECK (length(source_id) <= 64),
	call_id		uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
	channels	int NOT NULL DEFAULT 1 CHECK (channels BETWEEN 1 AND 2),
	duration	int NOT NULL DEFAULT 0 CHECK (duration >= 0),
	state		text NOT NULL DEFAULT 'pending'
			CHECK (state IN ('pending', 'failed')),
	attempts	int NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	last_error	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (company_id, source_id)
);
CREATE INDEX recording_fetches_due ON recording_fetches (next_attempt_at)
	WHERE state = 'pending';
CREATE INDEX recording_fetches_call ON recording_fetches (call_id);
