-- Outgoing webhooks and their durable outbox. Events reach the outbox from
-- triggers on the tables that already record them (call_events for call.*
-- and ivr.*, agent_state_log for agent.*), so an event and its deliveries
-- commit or roll back together. The daemon's delivery thread claims due rows
-- with a lease (FOR UPDATE SKIP LOCKED) and records every attempt.

CREATE TYPE webhook_format AS ENUM ('standard', 'slack', 'teams');
CREATE TYPE webhook_delivery_state AS ENUM ('pending', 'delivered', 'failed');

CREATE TABLE webhooks (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	url		text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
	description	text CHECK (length(description) <= 200),
	format		webhook_format NOT NULL DEFAULT 'standard',
	events		text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 32),
	min_wait	int CHECK (min_wait BETWEEN 0 AND 86400),
	secret		text NOT NULL,
	enabled		boolean NOT NULL DEFAULT true,
	disabled_reason	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_company_idx ON webhooks (company_id, created_at, id);

-- One row per (event, endpoint): the outbox and the delivery's record.
CREATE TABLE webhook_deliveries (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	webhook_id	uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	company_id	uuid NOT NULL,
	event_type	text NOT NULL,
	payload		jsonb NOT NULL,		-- {type, timestamp, data}
	state		webhook_delivery_state NOT NULL DEFAULT 'pending',
	attempts	int NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	lease_until	timestamptz,		-- claimed by a sender until then
	last_status	int,
	last_error	text,
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	delivered_at	timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
	WHERE state = 'pending';
CREATE INDEX webhook_deliveries_leased_idx ON webhook_deliveries (webhook_id)
	WHERE lease_until IS NOT NULL;
CREATE INDEX webhook_deliveries_hook_idx
	ON webhook_deliveries (webhook_id, created_at, id);

CREATE TABLE webhook_attempts (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id	uuid NOT NULL REFERENCES webhook_deliveries (id)
			ON DELETE CASCADE,
	at		timestamptz NOT NULL DEFAULT clock_timestamp(),
	status		int,			-- HTTP status, NULL: no answer
	error		text,
	response	text,			-- the first KiB of the answer
	duration_ms	int
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

CREATE FUNCTION webhook_time(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- Does an event type match one of the patterns ("*", "call.*", exact)?
CREATE FUNCTION webhook_matches(patterns text[], typ text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT EXISTS (SELECT 1 FROM unnest(patterns) p WHERE p = '*' OR p = typ
	    OR (right(p, 2) = '.*' AND
	    left(typ, length(p) - 1) = left(p, length(p) - 1)))
$$;

-- Queue an event for every enabled endpoint of the company subscribed to it.
CREATE FUNCTION webhook_enqueue(co uuid, typ text, data jsonb,
    at timestamptz, wait double precision) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
	n int;
BEGIN
	INSERT INTO webhook_deliveries (webhook_id, company_id, event_type,
	    payload)
	SELECT w.id, co, typ, jsonb_build_object('type', typ,
	    'timestamp', webhook_time(at), 'data', data)
	FROM webhooks w
	WHERE w.company_id = co AND w.enabled AND webhook_matches(w.events, typ)
	AND (typ <> 'call.abandoned' OR w.min_wait IS NULL OR
	    coalesce(wait, 0) >= w.min_wait);
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		PERFORM pg_notify('webhook_outbox', '');
	END IF;
	RETURN n;
END $$;

CREATE FUNCTION webhook_agent(a agents) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', a.id, 'name', a.name,
	    'extension', a.extension, 'state', a.state,
	    'state_since', webhook_time(a.state_since),
	    'pause_reason', a.pause_reason, 'missed_offers', a.missed_offers)
$$;

-- call.* and ivr.*: the call as the API shows it, with the move.
CREATE FUNCTION webhook_call_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	c	calls;
	q	queues;
	a	agents;
	qj	jsonb;
	cj	jsonb;
	sl	double precision;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM webhooks
	    WHERE company_id = NEW.company_id AND enabled) THEN
		RETURN NULL;
	END IF;
	SELECT * INTO c FROM calls WHERE id = NEW.call_id;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	SELECT * INTO q FROM queues WHERE id = c.queue_id;
	SELECT * INTO a FROM agents WHERE id = NEW.agent_id;
	qj := CASE WHEN q.id IS NULL THEN NULL ELSE jsonb_build_object('id', q.id,
	    'name', q.name, 'sl_threshold', q.sl_threshold) END;
	cj := jsonb_build_object('id', c.id, 'company_id', c.company_id,
	    'queue_id', c.queue_id, 'agent_id', c.agent_id, 'state', c.state,
	    'direction', c.direction, 'media', c.media,
	    'caller_number', c.caller_number, 'caller_name', c.caller_name,
	    'caller_data', c.caller_data, 'priority', c.priority,
	    'skills', c.skills, 'notes', c.notes, 'tags', to_jsonb(c.tags),
	    'disposition', c.disposition,
	    'enqueued_at', webhook_time(c.enqueued_at),
	    'answered_at', webhook_time(c.answered_at),
	    'ended_at', webhook_time(c.ended_at),
	    'wait_seconds', c.wait_seconds, 'talk_seconds', c.talk_seconds,
	    'created_at', webhook_time(c.created_at),
	    'updated_at', webhook_time(c.updated_at));
	PERFORM webhook_enqueue(NEW.company_id, NEW.type, jsonb_build_object(
	    'call', cj, 'from_state', NEW.from_state, 'to_state', NEW.to_state,
	    'agent', CASE WHEN a.id IS NULL THEN NULL ELSE webhook_agent(a) END,
	    'actor_id', NEW.actor_id, 'queue', qj, 'details', NEW.data),
	    NEW.at, c.wait_seconds);

	-- Service level: a call answered or abandoned after the threshold.
	IF NEW.type IN ('call.answered', 'call.abandoned') AND q.id IS NOT NULL
	    AND c.wait_seconds > q.sl_threshold THEN
		SELECT CASE WHEN count(*) FILTER (WHERE x.answered_at IS NOT NULL
		    OR x.state = 'abandoned') = 0 THEN 1.0
		    ELSE (count(*) FILTER (WHERE x.answered_at IS NOT NULL AND
		    x.wait_seconds <= q.sl_threshold))::double precision /
		    count(*) FILTER (WHERE x.answered_at IS NOT NULL OR
		    x.state = 'abandoned') END
		INTO sl FROM calls x JOIN companies co ON co.id = x.company_id
		WHERE x.queue_id = q.id AND x.enqueued_at >=
		    (date_trunc('day', now() AT TIME ZONE co.timezone)
		    AT TIME ZONE co.timezone);
		PERFORM webhook_enqueue(NEW.company_id, 'queue.sla_breached',
		    jsonb_build_object('queue', qj, 'call', cj,
		    'outcome', CASE NEW.type WHEN 'call.answered' THEN 'answered'
		    ELSE 'abandoned' END,
		    'wait_seconds', c.wait_seconds,
		    'sl_threshold', q.sl_threshold,
		    'service_level_today', sl), NEW.at, c.wait_seconds);
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER webhook_call_event_trg
	AFTER INSERT ON call_events
	FOR EACH ROW EXECUTE FUNCTION webhook_call_event();

-- agent.state_changed, as the in-process event names it.
CREATE FUNCTION webhook_agent_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	a	agents;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM webhooks
	    WHERE company_id = NEW.company_id AND enabled) THEN
		RETURN NULL;
	END IF;
	SELECT * INTO a FROM agents WHERE id = NEW.agent_id;
	PERFORM webhook_enqueue(NEW.company_id, 'agent.state_changed',
	    jsonb_build_object('agent_id', NEW.agent_id, 'state', NEW.state,
	    'prev_state', NEW.prev_state, 'reason', NEW.reason,
	    'agent', webhook_agent(a)), NEW.at, NULL);
	RETURN NULL;
END $$;

CREATE TRIGGER webhook_agent_event_trg
	AFTER INSERT ON agent_state_log
	FOR EACH ROW EXECUTE FUNCTION webhook_agent_event();
