-- Agents, queues, calls and their events: the ACD's system of record.

CREATE TYPE agent_state AS ENUM
	('offline', 'available', 'offering', 'busy', 'wrap_up', 'away');

CREATE TABLE agents (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	user_id		uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	extension	text,
	skills		jsonb NOT NULL DEFAULT '{}',	-- {"spanish": 3}
	max_calls	int NOT NULL DEFAULT 1 CHECK (max_calls BETWEEN 1 AND 10),
	state		agent_state NOT NULL DEFAULT 'offline',
	state_since	timestamptz NOT NULL DEFAULT now(),
	pause_reason	text,
	calls_handled	int NOT NULL DEFAULT 0,
	talk_seconds	double precision NOT NULL DEFAULT 0,
	missed_offers	int NOT NULL DEFAULT 0,
	last_call_end	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_company_idx ON agents (company_id, created_at, id);

CREATE TYPE queue_strategy AS ENUM ('longest_idle', 'round_robin',
	'fewest_calls', 'least_talk_time', 'random', 'ring_all', 'linear');
CREATE TYPE overflow_kind AS ENUM ('none', 'queue', 'voicemail', 'hangup');

CREATE TABLE queues (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	strategy	queue_strategy NOT NULL DEFAULT 'longest_idle',
	sl_threshold	int NOT NULL DEFAULT 20 CHECK (sl_threshold > 0),
	wrap_up		int NOT NULL DEFAULT 10 CHECK (wrap_up >= 0),
	ring_timeout	int NOT NULL DEFAULT 15 CHECK (ring_timeout > 0),
	max_wait	int NOT NULL DEFAULT 0 CHECK (max_wait >= 0),	-- 0: none
	overflow	overflow_kind NOT NULL DEFAULT 'none',
	overflow_queue	uuid REFERENCES queues (id) ON DELETE SET NULL,
	max_length	int NOT NULL DEFAULT 0 CHECK (max_length >= 0),	-- 0: none
	miss_limit	int NOT NULL DEFAULT 3 CHECK (miss_limit >= 0),	-- 0: never
	widen		jsonb NOT NULL DEFAULT '[]',	-- [{"after": 30, "level_drop": 1}]
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX queues_name_key ON queues (company_id, lower(name));

CREATE TABLE queue_members (
	queue_id	uuid NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
	agent_id	uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	penalty		int NOT NULL DEFAULT 0 CHECK (penalty >= 0),
	position	bigserial,
	PRIMARY KEY (queue_id, agent_id)
);
CREATE INDEX queue_members_agent_idx ON queue_members (agent_id);

CREATE TYPE call_state AS ENUM ('new', 'ivr', 'queued', 'offering',
	'connected', 'on_hold', 'wrap_up', 'completed', 'abandoned', 'missed',
	'failed', 'transferred');

CREATE TABLE calls (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	queue_id	uuid REFERENCES queues (id) ON DELETE SET NULL,
	agent_id	uuid REFERENCES agents (id) ON DELETE SET NULL,
	state		call_state NOT NULL DEFAULT 'new',
	direction	text NOT NULL DEFAULT 'inbound'
			CHECK (direction IN ('inbound', 'outbound')),
	media		text NOT NULL DEFAULT 'voice'
			CHECK (media IN ('voice', 'video', 'screen_share')),
	caller_number	text,
	caller_name	text,
	caller_data	jsonb NOT NULL DEFAULT '{}',
	priority	int NOT NULL DEFAULT 0,
	skills		jsonb NOT NULL DEFAULT '{}',
	notes		text,
	tags		text[] NOT NULL DEFAULT '{}',
	disposition	text,
	enqueued_at	timestamptz,		-- arrival in its current queue
	answered_at	timestamptz,
	ended_at	timestamptz,
	wait_seconds	double precision,
	talk_seconds	double precision,
	idempotency_key	text,
	created_by	uuid,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX calls_idempotency_key ON calls (company_id, idempotency_key)
	WHERE idempotency_key IS NOT NULL;
CREATE INDEX calls_company_idx ON calls (company_id, created_at, id);
CREATE INDEX calls_live_idx ON calls (state)
	WHERE state IN ('queued', 'offering', 'connected', 'on_hold', 'wrap_up');
CREATE INDEX calls_agent_idx ON calls (agent_id, created_at);

CREATE TABLE call_events (
	id		bigserial PRIMARY KEY,
	call_id		uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
	company_id	uuid NOT NULL,
	at		timestamptz NOT NULL DEFAULT clock_timestamp(),
	type		text NOT NULL,
	actor_id	uuid,
	agent_id	uuid,
	from_state	call_state,
	to_state	call_state,
	data		jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX call_events_call_idx ON call_events (call_id, id);
CREATE INDEX call_events_company_idx ON call_events (company_id, at);
