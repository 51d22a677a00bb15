-- Where an agent takes its calls (docs/api.md, "Phone calls end to end"):
-- its browser page, or a phone Twilio dials when the agent accepts a call
-- that came in through Twilio (an E.164 number or a sip: URI).
CREATE TYPE agent_endpoint AS ENUM ('browser', 'phone');
ALTER TABLE agents
	ADD COLUMN endpoint agent_endpoint NOT NULL DEFAULT 'browser',
	ADD COLUMN endpoint_address text
		CHECK (endpoint_address IS NULL OR length(endpoint_address) BETWEEN 1 AND 256),
	ADD CONSTRAINT agents_phone_has_address
		CHECK (endpoint = 'browser' OR endpoint_address IS NOT NULL);

-- Twilio ended the call itself (its status callback, or the agent's phone
-- hanging up a bridged call): the daemon then does not ask Twilio to end it.
ALTER TABLE twilio_calls ADD COLUMN ended_by_twilio boolean NOT NULL DEFAULT false;
