-- agent.deleted for webhooks, like agent.state_changed: written in the
-- statement that deletes the agent. An agent deleted with its company (the
-- company row is gone by then) has no one left to tell.
CREATE FUNCTION webhook_agent_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM companies WHERE id = OLD.company_id) OR
	    NOT EXISTS (SELECT 1 FROM webhooks
	    WHERE company_id = OLD.company_id AND enabled) THEN
		RETURN NULL;
	END IF;
	PERFORM webhook_enqueue(OLD.company_id, 'agent.deleted',
	    jsonb_build_object('agent_id', OLD.id, 'agent', webhook_agent(OLD)),
	    now(), NULL);
	RETURN NULL;
END $$;

CREATE TRIGGER webhook_agent_deleted_trg
	AFTER DELETE ON agents
	FOR EACH ROW EXECUTE FUNCTION webhook_agent_deleted();
