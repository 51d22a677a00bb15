-- Analytics counts calls by the time they entered a queue.

CREATE INDEX calls_enqueued_idx ON calls (company_id, enqueued_at)
	WHERE enqueued_at IS NOT NULL;
