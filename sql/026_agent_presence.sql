-- Agents' sockets over the nodes of a cluster (docs/cluster.md, "Agents'
-- sockets over the nodes"). Each node keeps one row per agent it has had
-- a socket of: how many it has open now (0 once they closed), written in
-- the node's own order (seq: a later write never loses to an earlier one).
-- An agent's last socket is gone when her rows on live nodes add up to 0;
-- a dead node's rows are taken back by each company's owner, who acts for
-- the sockets that went with it. A node of no cluster writes none.
CREATE TABLE agent_presence (
	agent_id	uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	node_id		uuid NOT NULL,
	company_id	uuid NOT NULL,
	sockets		integer NOT NULL CHECK (sockets >= 0),
	seq		bigint NOT NULL,
	PRIMARY KEY (agent_id, node_id)
);
CREATE INDEX agent_presence_node ON agent_presence (node_id);
