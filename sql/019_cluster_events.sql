-- Cross-node events (docs/cluster.md, "Cross-node events"). Each node's
-- publisher sends its events to the other nodes by NOTIFY on
-- calldocker_events, several to a payload. An event too big for one
-- payload (8000 bytes) is stored here and the payload names its id; the
-- publisher deletes rows older than a minute.
CREATE TABLE cluster_events (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	node_id		uuid NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	body		text NOT NULL
);
CREATE INDEX cluster_events_created ON cluster_events (created_at);

-- A batch of payloads in one transaction (one commit, one round trip),
-- notified in the array's order.
CREATE FUNCTION cluster_events_notify(payloads text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1 .. coalesce(array_length(payloads, 1), 0) LOOP
		PERFORM pg_notify('calldocker_events', payloads[i]);
	END LOOP;
END $$;
