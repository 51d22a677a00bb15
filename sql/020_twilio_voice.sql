-- Twilio's Voice JavaScript SDK and what a phone caller hears while waiting
-- (docs/api.md, "Phone calls end to end").
--
-- A company's Twilio integration may hold an API key (its SID and secret,
-- from Twilio's console) with which the daemon signs the short-lived access
-- tokens of its browser agents, and the SID of a TwiML App for the tokens'
-- outgoing grant. The secret is write-only, like the auth token.
ALTER TABLE company_integrations
	ADD COLUMN api_key_sid text
		CHECK (api_key_sid IS NULL OR api_key_sid ~ '^SK[0-9a-fA-F]{32}$'),
	ADD COLUMN api_key_secret text,
	ADD COLUMN twiml_app_sid text
		CHECK (twiml_app_sid IS NULL OR twiml_app_sid ~ '^AP[0-9a-fA-F]{32}$'),
	ADD CONSTRAINT company_integrations_api_key_pair
		CHECK ((api_key_sid IS NULL) = (api_key_secret IS NULL));

-- A queue's hold music (a URL Twilio plays, or one of the company's files)
-- and whether callers waiting in it hear their position and estimated wait,
-- at most every announce_interval seconds.
ALTER TABLE queues
	ADD COLUMN hold_music_url text
		CHECK (hold_music_url IS NULL OR length(hold_music_url) BETWEEN 1 AND 2048),
	ADD COLUMN hold_music_file uuid REFERENCES files (id) ON DELETE SET NULL,
	ADD COLUMN announce_position boolean NOT NULL DEFAULT false,
	ADD COLUMN announce_interval int NOT NULL DEFAULT 60
		CHECK (announce_interval BETWEEN 10 AND 3600),
	ADD CONSTRAINT queues_one_hold_music
		CHECK (hold_music_url IS NULL OR hold_music_file IS NULL);

-- When a waiting Twilio caller last heard an announcement.
ALTER TABLE twilio_calls ADD COLUMN announced_at timestamptz;
