-- A caller's personal data on request, stored contents that outlive their
-- rows, Twilio recordings still to fetch (docs/api.md, "Purging a
-- caller's personal data" and "Phone calls end to end"), and callbacks in
-- the analytics rollup ("Rollups").

-- Contents of the file storage whose files rows are gone (a purge, a
-- deleted company, an expired recording): inserted in the transaction
-- that deletes the rows, deleted once the content is gone from the
-- storage. The first try is the deleting node's, after its commit; what
-- that could not delete, the recording sweeper tries again
-- (next_attempt_at, a minute on). No reference: the company may be gone
-- with its files.
CREATE TABLE storage_trash (
	file_id		uuid PRIMARY KEY,
	company_id	uuid NOT NULL,
	attempts	int NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now() + interval '1 minute',
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX storage_trash_due ON storage_trash (next_attempt_at);
CREATE INDEX storage_trash_company ON storage_trash (company_id);

-- When a call's caller was purged: no recording is added to it after.
ALTER TABLE calls ADD COLUMN purged_at timestamptz;

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

-- Callbacks in the hourly rollup and the bucketed figures (docs/api.md,
-- "Rollups"): each callback's parts by the UTC hour of its request
-- (callback_requested_at) and the call's queue, one definition for the
-- rollup and the live path, as analytics_calls_in() is for calls. A
-- callback whose call is still in progress keeps its hour live.
ALTER TABLE analytics_hourly
	ADD COLUMN cb_requested bigint NOT NULL DEFAULT 0,
	ADD COLUMN cb_completed bigint NOT NULL DEFAULT 0,
	ADD COLUMN cb_failed bigint NOT NULL DEFAULT 0,
	ADD COLUMN cb_pending bigint NOT NULL DEFAULT 0,
	ADD COLUMN cb_ttc_sum double precision,	-- of answered callbacks
	ADD COLUMN cb_ttc_n bigint NOT NULL DEFAULT 0;

CREATE FUNCTION analytics_callbacks_in(p_company uuid, p_lo timestamptz,
    p_hi timestamptz)
RETURNS TABLE (at timestamptz, queue_id uuid, completed int, failed int,
    pending int, ttc double precision, live boolean)
LANGUAGE sql STABLE AS $$
	SELECT c.callback_requested_at, c.queue_id,
	    (c.callback_answered_at IS NOT NULL)::int,
	    (c.callback_state = 'failed')::int,
	    (c.callback_state IN ('waiting', 'dialing') AND
	     c.state IN ('queued', 'offering', 'connected', 'on_hold'))::int,
	    extract(epoch FROM c.callback_answered_at
		- c.callback_requested_at)::double precision,
	    c.state NOT IN ('completed', 'abandoned', 'missed', 'failed',
		'transferred')
	FROM calls c
	WHERE c.company_id = p_company AND c.callback_requested_at >= p_lo
	AND c.callback_requested_at < p_hi
$$;

-- sql/006's, with the callbacks' parts.
CREATE OR REPLACE FUNCTION analytics_rollup_compute(p_company uuid,
    p_lo timestamptz, p_hi timestamptz) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO analytics_hourly (company_id, hour, queue_id, offered,
	    answered, abandoned, short_abandons, within, wait_sum, wait_n,
	    talk_sum, talk_n, hold, longest, missed, cb_requested,
	    cb_completed, cb_failed, cb_pending, cb_ttc_sum, cb_ttc_n)
	SELECT p_company, u.hour, u.queue_id, sum(u.offered), sum(u.answered),
	    sum(u.abandoned), sum(u.short), sum(u.within), sum(u.ws),
	    sum(u.wn), sum(u.ts), sum(u.tn), sum(u.hold), max(u.longest),
	    sum(u.missed), sum(u.cbr), sum(u.cbc), sum(u.cbf), sum(u.cbp),
	    sum(u.cbts), sum(u.cbtn)
	FROM (SELECT analytics_hour(x.at) AS hour, x.queue_id,
		count(*) AS offered, coalesce(sum(x.answered), 0) AS answered,
		coalesce(sum(x.abandoned), 0) AS abandoned,
		coalesce(sum(x.short_abandon), 0) AS short,
		coalesce(sum(x.within), 0) AS within,
		sum(x.wait_answered) AS ws, count(x.wait_answered) AS wn,
		sum(x.talk) AS ts, count(x.talk) AS tn, sum(x.hold) AS hold,
		max(x.waited) AS longest, 0::bigint AS missed,
		0::bigint AS cbr, 0::bigint AS cbc, 0::bigint AS cbf,
		0::bigint AS cbp, NULL::double precision AS cbts,
		0::bigint AS cbtn
	    FROM analytics_calls_in(p_company, p_lo, p_hi) x GROUP BY 1, 2
	    UNION ALL
	    SELECT analytics_hour(y.at), y.queue_id, 0, 0, 0, 0, 0, NULL, 0,
		NULL, 0, NULL, NULL, count(*), 0, 0, 0, 0, NULL, 0
	    FROM analytics_missed_in(p_company, p_lo, p_hi) y GROUP BY 1, 2
	    UNION ALL
	    SELECT analytics_hour(z.at), z.queue_id, 0, 0, 0, 0, 0, NULL, 0,
		NULL, 0, NULL, NULL, 0, count(*), sum(z.completed),
		sum(z.failed), sum(z.pending), sum(z.ttc), count(z.ttc)
	    FROM analytics_callbacks_in(p_company, p_lo, p_hi) z
	    GROUP BY 1, 2) u
	GROUP BY u.hour, u.queue_id;
	INSERT INTO analytics_hourly (company_id, hour, all_queues, offered,
	    answered, abandoned, short_abandons, within, wait_sum, wait_n,
	    talk_sum, talk_n, hold, longest, missed, cb_requested,
	    cb_completed, cb_failed, cb_pending, cb_ttc_sum, cb_ttc_n)
	SELECT p_company, hour, true, sum(offered), sum(answered),
	    sum(abandoned), sum(short_abandons), sum(within), sum(wait_sum),
	    sum(wait_n), sum(talk_sum), sum(talk_n), sum(hold), max(longest),
	    sum(missed), sum(cb_requested), sum(cb_completed), sum(cb_failed),
	    sum(cb_pending), sum(cb_ttc_sum), sum(cb_ttc_n)
	FROM analytics_hourly WHERE company_id = p_company AND NOT all_queues
	AND hour >= p_lo AND hour < p_hi GROUP BY hour;
	-- Calls still in progress: their hours stay live; a callback's by
	-- its request.
	INSERT INTO analytics_dirty (company_id, hour)
	SELECT DISTINCT p_company, analytics_hour(x.at)
	FROM analytics_calls_in(p_company, p_lo, p_hi) x WHERE x.live
	UNION
	SELECT p_company, analytics_hour(z.at)
	FROM analytics_callbacks_in(p_company, p_lo, p_hi) z WHERE z.live;
$$;

-- The hours of the callbacks a change to calls touches (their request's),
-- once per statement, beside analytics_dirty_calls(): a callback
-- requested, answered, failed, moved to another queue, or whose call
-- ended.
CREATE FUNCTION analytics_dirty_callbacks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO analytics_dirty (company_id, hour)
		SELECT DISTINCT n.company_id,
		    analytics_hour(n.callback_requested_at)
		FROM new_rows n WHERE n.callback_requested_at IS NOT NULL;
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO analytics_dirty (company_id, hour)
		SELECT DISTINCT o.company_id,
		    analytics_hour(o.callback_requested_at)
		FROM old_rows o WHERE o.callback_requested_at IS NOT NULL;
	ELSE
		INSERT INTO analytics_dirty (company_id, hour)
		SELECT DISTINCT x.company_id, analytics_hour(x.at)
		FROM old_rows o JOIN new_rows n ON n.id = o.id,
		    LATERAL (VALUES (o.company_id, o.callback_requested_at),
			(n.company_id, n.callback_requested_at))
			x (company_id, at)
		WHERE x.at IS NOT NULL
		AND (o.callback_requested_at, o.callback_answered_at,
		    o.callback_state, o.queue_id, o.company_id,
		    o.state IN ('completed', 'abandoned', 'missed', 'failed',
			'transferred'))
		    IS DISTINCT FROM
		    (n.callback_requested_at, n.callback_answered_at,
		    n.callback_state, n.queue_id, n.company_id,
		    n.state IN ('completed', 'abandoned', 'missed', 'failed',
			'transferred'));
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER analytics_dirty_callbacks_ins_trg AFTER INSERT ON calls
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_callbacks();
CREATE TRIGGER analytics_dirty_callbacks_del_trg AFTER DELETE ON calls
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_callbacks();
CREATE TRIGGER analytics_dirty_callbacks_upd_trg AFTER UPDATE ON calls
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_callbacks();

-- The hours computed before callbacks were counted: computed again.
INSERT INTO analytics_dirty (company_id, hour)
SELECT DISTINCT company_id, analytics_hour(callback_requested_at)
FROM calls WHERE callback_requested_at IS NOT NULL;
