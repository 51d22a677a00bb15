-- Callbacks (virtual hold): a waiting call that the daemon calls back when
-- its turn comes. The call keeps its row, its state (queued) and its place
-- (enqueued_at); these columns say it is a callback and how its dialing
-- goes. callback_retry_at: a failed dial waits until then before the call
-- is offered again (NULL: not waiting for a retry). Each queue says how
-- many dials a callback gets and how long between them.
ALTER TABLE calls
	ADD COLUMN callback_number text,
	ADD COLUMN callback_state text CHECK (callback_state IN
	    ('waiting', 'dialing', 'answered', 'failed')),
	ADD COLUMN callback_attempts integer NOT NULL DEFAULT 0,
	ADD COLUMN callback_requested_at timestamptz,
	ADD COLUMN callback_answered_at timestamptz,
	ADD COLUMN callback_retry_at timestamptz;

CREATE INDEX calls_callback_retry ON calls (company_id, callback_retry_at)
	WHERE callback_retry_at IS NOT NULL;
CREATE INDEX calls_callback_requested ON calls (company_id,
	callback_requested_at) WHERE callback_requested_at IS NOT NULL;

ALTER TABLE queues
	ADD COLUMN callback_attempts integer NOT NULL DEFAULT 3
	    CHECK (callback_attempts BETWEEN 1 AND 10),
	ADD COLUMN callback_retry_delay integer NOT NULL DEFAULT 60
	    CHECK (callback_retry_delay BETWEEN 0 AND 86400);
