-- Integrations: per-company secrets for signed webhooks (Twilio's auth
-- token, the incoming-webhook signing secret), the delivery ids of signed
-- webhooks seen lately (replays are refused), and the Twilio calls.

CREATE TABLE company_integrations (
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind IN ('twilio', 'incoming')),
	account_sid	text,			-- twilio
	secret		text NOT NULL,		-- HMAC key: never returned
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (company_id, kind)
);

-- A delivery id is remembered past the timestamp tolerance (5 minutes
-- either way): a replay within it meets its row, one after it is stale.
CREATE TABLE webhook_deliveries (
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	delivery_id	text NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (company_id, delivery_id)
);
CREATE INDEX webhook_deliveries_received_idx ON webhook_deliveries (received_at);

-- One call per Twilio CallSid, and the TwiML last answered for it (a
-- retried webhook gets the same answer).
CREATE TABLE twilio_calls (
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	call_sid	text NOT NULL,
	call_id		uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
	twiml		text,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (company_id, call_sid)
);
CREATE UNIQUE INDEX twilio_calls_call_key ON twilio_calls (call_id);
