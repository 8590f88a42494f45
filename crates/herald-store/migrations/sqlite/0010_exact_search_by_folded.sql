-- An exact text comparison is answered from the folded index: a text equal
-- to the value has the value's folding, so the (instance, field, folded)
-- range of the folded value holds every match, and only case variants of
-- it besides. The exact index was a second B-tree keyed by content text,
-- a page at a random place for every text a create wrote.
DROP INDEX search_texts_exact;
