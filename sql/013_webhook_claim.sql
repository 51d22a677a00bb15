-- The delivery thread's claim (daemon/db-webhook.c) finds the endpoints with
-- pending rows (a skip scan) and walks each one's due rows in order.
CREATE INDEX webhook_deliveries_hook_due_idx
	ON webhook_deliveries (webhook_id, next_attempt_at)
	WHERE state = 'pending';
