-- A widget caller's socket over the nodes of a cluster (docs/cluster.md,
-- "Agents' sockets over the nodes"): the node that holds the socket of a
-- call's caller, while it is open. When that node dies, the company's
-- owner ends the call as if the socket had closed (caller_disconnected).
-- A node of no cluster writes none.
CREATE TABLE caller_presence (
	call_id		uuid PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
	company_id	uuid NOT NULL,
	node_id		uuid NOT NULL
);
CREATE INDEX caller_presence_node ON caller_presence (node_id);
