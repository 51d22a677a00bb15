-- Callers from a company's website widget: public widget keys and the
-- origins (scheme://host[:port]) whose pages may use them; and the media a
-- call actually used, as its parties negotiated it over the WebSocket.

CREATE TABLE widget_keys (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	company_id	uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
	key		text NOT NULL UNIQUE,
	name		text CHECK (length(name) <= 100),
	created_at	timestamptz NOT NULL DEFAULT now(),
	rotated_at	timestamptz
);
CREATE INDEX widget_keys_company_idx ON widget_keys (company_id, created_at, id);

ALTER TABLE companies ADD COLUMN widget_origins text[] NOT NULL DEFAULT '{}';

ALTER TABLE calls ADD COLUMN media_used text[] NOT NULL DEFAULT '{}';
