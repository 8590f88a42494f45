-- An exact text comparison is answered from the folded index: a text equal
-- to the value has the value's folding, so the (instance, field, folded)
-- range of the folded value holds every match, and with the text in the
-- key the exact test is a seek within it, not a read of each case
-- variant. The exact index was a second B-tree keyed by content text, a
-- page at a random place for every text a create wrote. (The folding is
-- Rust's lower-casing, the same for every Herald build of one Unicode
-- version; prefix and CONTAINS comparisons relied on it already.)
DROP INDEX search_texts_exact;
DROP INDEX search_texts_prefix;
CREATE INDEX search_texts_prefix ON search_texts (instance_seq, field, folded, text);
