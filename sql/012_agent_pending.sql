-- A pause asked for while the agent is busy or wrapping up takes effect
-- when that ends; until then the agent's row shows it as pending.
ALTER TABLE agents ADD COLUMN pending_state agent_state;
