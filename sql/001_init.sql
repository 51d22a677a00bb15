-- Companies, users, sessions (refresh-token families), revoked sessions
-- and the audit log. Every tenant table carries company_id.

CREATE TABLE companies (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	timezone	text NOT NULL DEFAULT 'UTC',
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX companies_name_key ON companies (lower(name));
CREATE INDEX companies_created_idx ON companies (created_at, id);

CREATE TYPE user_role AS ENUM ('admin', 'manager', 'agent');

CREATE TABLE users (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	company_id	uuid REFERENCES companies (id) ON DELETE CASCADE,
	email		text NOT NULL CHECK (email = lower(email)),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	role		user_role NOT NULL,
	password_hash	text NOT NULL,
	last_login_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((role = 'admin') = (company_id IS NULL))
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_company_idx ON users (company_id, created_at, id);
CREATE INDEX users_created_idx ON users (created_at, id);

-- A session is one login: the family of refresh tokens rotated from it.
CREATE TABLE sessions (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	revoked_at	timestamptz,
	client_ip	text,
	user_agent	text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Refresh tokens are stored as SHA-256 hashes; used_at marks rotation.
CREATE TABLE refresh_tokens (
	token_hash	text PRIMARY KEY,
	session_id	uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Revoked sessions whose access tokens may still be unexpired. Kept apart
-- from sessions so that deleting a user does not forget the revocation.
CREATE TABLE revoked_sessions (
	session_id	uuid PRIMARY KEY,
	revoked_at	timestamptz NOT NULL DEFAULT now(),
	until		timestamptz NOT NULL
);
CREATE INDEX revoked_sessions_until_idx ON revoked_sessions (until);

-- Who changed what. actor_id is NULL for the local (socket) admin.
CREATE TABLE audit_log (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	actor_id	uuid,
	company_id	uuid,
	action		text NOT NULL,
	object_type	text NOT NULL,
	object_id	uuid,
	client_ip	text,
	detail		jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_company_idx ON audit_log (company_id, at);
