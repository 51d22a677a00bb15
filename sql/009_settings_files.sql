-- Settings at three scopes and stored files (IVR prompts, recordings).
--
-- Settings are JSON objects holding only what was set: the daemon's table
-- of known keys (daemon/settings.c) validates them and supplies defaults.
-- A company's time zone stays in companies.timezone, its one owner:
-- analytics and the company settings read and write that column.

CREATE TABLE system_settings (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	settings	jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO system_settings DEFAULT VALUES;

ALTER TABLE companies ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'
	CHECK (jsonb_typeof(settings) = 'object');
ALTER TABLE users ADD COLUMN preferences jsonb NOT NULL DEFAULT '{}'
	CHECK (jsonb_typeof(preferences) = 'object');

-- Metadata only: the content lives in the storage backend under the id.
-- A row is inserted after its content is stored and deleted before it.
CREATE TABLE files (
	id		uuid PRIMARY KEY,
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind IN ('prompt', 'recording')),
	name		text CHECK (length(name) BETWEEN 1 AND 200),
	content_type	text NOT NULL,
	size		bigint NOT NULL CHECK (size > 0),
	sha256		text NOT NULL,
	created_by	uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_company_idx ON files (company_id, created_at, id);
