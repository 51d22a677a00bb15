-- IVR flows: immutable versions per flow, one active version, one entry
-- flow per company, and the sessions of calls walking a flow.

CREATE TABLE ivr_flows (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	description	text,
	active_version	int,
	is_entry	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ivr_flows_name_key ON ivr_flows (company_id, lower(name));
CREATE UNIQUE INDEX ivr_flows_entry_key ON ivr_flows (company_id) WHERE is_entry;

CREATE TABLE ivr_versions (
	flow_id		uuid NOT NULL REFERENCES ivr_flows (id) ON DELETE CASCADE,
	version		int NOT NULL CHECK (version > 0),
	content		text NOT NULL,
	content_hash	text NOT NULL,		-- hex SHA-256 of content
	author_id	uuid,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (flow_id, version)
);
CREATE INDEX ivr_versions_hash_idx ON ivr_versions (flow_id, content_hash);

CREATE TABLE ivr_sessions (
	call_id		uuid PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
	flow_id		uuid NOT NULL,
	version		int NOT NULL,
	state		jsonb NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now()
);
