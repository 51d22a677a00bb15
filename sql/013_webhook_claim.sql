-- The delivery thread's claim (daemon/db-webhook.c) walks each endpoint's
-- due rows in order: the first rows of one endpoint, not a sort of them all.
CREATE INDEX webhook_deliveries_hook_due_idx
	ON webhook_deliveries (webhook_id, next_attempt_at)
	WHERE state = 'pending';
