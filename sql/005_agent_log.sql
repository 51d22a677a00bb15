-- Every agent state change, written by the same statement that makes it
-- (a trigger), so the log cannot disagree with the agents table. Analytics
-- reads time per state and occupancy from it; the outbox of webhooks
-- takes agent.* events from it.

CREATE TABLE agent_state_log (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	agent_id	uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	state		agent_state NOT NULL,
	prev_state	agent_state,
	reason		text,
	at		timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX agent_state_log_company_idx ON agent_state_log (company_id, at);
CREATE INDEX agent_state_log_agent_idx ON agent_state_log (agent_id, at);

CREATE FUNCTION agent_state_log_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO agent_state_log (agent_id, company_id, state, reason)
		VALUES (NEW.id, NEW.company_id, NEW.state, NEW.pause_reason);
	ELSIF NEW.state IS DISTINCT FROM OLD.state OR
	    NEW.pause_reason IS DISTINCT FROM OLD.pause_reason THEN
		INSERT INTO agent_state_log (agent_id, company_id, state,
		    prev_state, reason)
		VALUES (NEW.id, NEW.company_id, NEW.state, OLD.state,
		    NEW.pause_reason);
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER agent_state_log_trg
	AFTER INSERT OR UPDATE OF state, pause_reason ON agents
	FOR EACH ROW EXECUTE FUNCTION agent_state_log_write();
