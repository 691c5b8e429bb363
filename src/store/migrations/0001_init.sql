-- One table for every resource kind: the aggregate is stored as JSON, keyed by (kind, id) and
-- scoped by (account_id, region). seq keeps creation order stable across restarts.
CREATE TABLE resources (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX resources_scope ON resources (kind, account_id, region, seq);
