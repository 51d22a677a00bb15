-- Supervision (docs/api.md, "Monitor, whisper, barge"): a manager listening
-- to a live call muted (monitor), speaking to the agent only (whisper) or
-- to both (barge). One supervisor per call; the state is the hub's, kept
-- here so that it survives a restart or a takeover, and cleared in the
-- same transaction that moves the call away from its agent. via says how
-- the supervisor takes part: in a browser, or on a phone dialled at
-- supervision_phone (Twilio calls only).
ALTER TABLE calls
	ADD COLUMN supervisor_id uuid REFERENCES users (id) ON DELETE SET NULL,
	ADD COLUMN supervision_mode text CHECK (supervision_mode IN
	    ('monitor', 'whisper', 'barge')),
	ADD COLUMN supervision_via text CHECK (supervision_via IN
	    ('browser', 'phone')),
	ADD COLUMN supervision_phone text CHECK (supervision_phone IS NULL OR
	    length(supervision_phone) BETWEEN 2 AND 256),
	ADD COLUMN supervision_started_at timestamptz,
	ADD CONSTRAINT calls_supervision_whole CHECK (
	    (supervisor_id IS NULL AND supervision_mode IS NULL AND
	     supervision_via IS NULL AND supervision_phone IS NULL AND
	     supervision_started_at IS NULL) OR
	    (supervision_mode IS NOT NULL AND supervision_via IS NOT NULL AND
	     supervision_started_at IS NOT NULL AND
	     (supervision_via = 'phone') = (supervision_phone IS NOT NULL)));

-- The calls a user supervises (a user's delete, the wallboard).
CREATE INDEX calls_supervisor ON calls (supervisor_id)
	WHERE supervisor_id IS NOT NULL;
