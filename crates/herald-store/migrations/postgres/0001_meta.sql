-- Herald schema, PostgreSQL flavour. Times are epoch milliseconds
-- (BIGINT), every integer is BIGINT, JSON documents are TEXT; booleans are
-- BOOLEAN. As on SQLite, every query the store runs is served by an
-- index, and none scans a table whose size grows with the whole store.
--
-- The migrator holds an advisory lock while it runs, so nodes starting
-- together apply each migration exactly once.

-- Trigram indexes for CONTAINS and case-folded prefix search.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
