-- Company ownership (docs/cluster.md, "Company ownership"): each node
-- says where its peers reach it, for the requests it forwards to a
-- company's owner. Company leases are rows of cluster_leases named
-- 'company:<id>'.
ALTER TABLE cluster_nodes ADD COLUMN url text;
