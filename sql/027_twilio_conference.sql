-- The conference bridge of Twilio calls (docs/api.md, "Phone calls end to
-- end"): the caller's call joins a Twilio <Conference> named for the call,
-- and the daemon creates each agent's (and supervisor's) leg into it.
--
-- twilio_calls, the caller's leg: whether it was moved into the
-- conference, the conference's sid once Twilio names it, whether the
-- caller is held there, and the recording of the call in progress.
ALTER TABLE twilio_calls
	ADD COLUMN conference boolean NOT NULL DEFAULT false,
	ADD COLUMN conference_sid text
		CHECK (conference_sid IS NULL OR conference_sid ~ '^CF[0-9a-fA-F]{32}$'),
	ADD COLUMN held boolean NOT NULL DEFAULT false,
	ADD COLUMN recording_sid text
		CHECK (recording_sid IS NULL OR recording_sid ~ '^RE[0-9a-fA-F]{32}$');

-- The legs the daemon created into a call's conference: an agent's (at
-- most one current per call: a transfer retires the old one) or a
-- supervisor's. A status callback of a leg that is no longer current
-- changes nothing.
CREATE TABLE twilio_legs (
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	call_sid	text NOT NULL CHECK (length(call_sid) BETWEEN 1 AND 64),
	call_id		uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
	role		text NOT NULL CHECK (role IN ('agent', 'supervisor')),
	agent_id	uuid,
	current		boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (company_id, call_sid)
);
CREATE UNIQUE INDEX twilio_legs_current_key ON twilio_legs (call_id, role)
	WHERE current;
