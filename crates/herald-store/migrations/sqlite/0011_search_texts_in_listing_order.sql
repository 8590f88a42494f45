-- A large instance's search for one condition walks the instance's texts
-- of that field newest first, in an index that holds the test's folded
-- text and the expiry beside the listing order (search_probe.rs): one
-- index range, where walking the created index tested each notification
-- with a seek into its own texts. A notification's creation and expiry
-- never change, so their copies here are written once, with the texts.
ALTER TABLE search_texts ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE search_texts ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
-- The trigram index holds the folded text only, so only a change of it
-- re-indexes a text: filling the copies below rewrites no index entry.
DROP TRIGGER search_texts_au;
CREATE TRIGGER search_texts_au AFTER UPDATE OF folded ON search_texts BEGIN
    INSERT INTO search_texts_fts (search_texts_fts, rowid, folded) VALUES ('delete', old.rowid, old.folded);
    INSERT INTO search_texts_fts (rowid, folded) VALUES (new.rowid, new.folded);
END;
UPDATE search_texts SET (created_at, expires_at) =
    (SELECT n.created_at, n.expires_at FROM notifications n WHERE n.seq = search_texts.notification_seq);
CREATE INDEX search_texts_in_listing_order
    ON search_texts (instance_seq, field, created_at, notification_seq, expires_at, folded);
