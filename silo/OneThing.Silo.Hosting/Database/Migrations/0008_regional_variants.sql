-- 0008: regional variants. An item has a national base and may have regional variants (Chongqing's newborn item next
-- to the national one); each variant numbers its own versions, so the key becomes (code, region, version). The
-- national base is region '' (a key column cannot be null); a variant's region is its region code.
--
-- Every version published before this migration was a version of the item's one sequence, and running cases refer to
-- it by code and version alone: those rows stay in that sequence, the national base. Their definitions may carry a
-- region, which until now only labelled the item; it is cleared so that a row's definition and its key agree.

ALTER TABLE onething_published_items ADD COLUMN region text NOT NULL DEFAULT '';

UPDATE onething_published_items
SET definition = jsonb_set(definition, '{region}', 'null'::jsonb)
WHERE definition->>'region' IS NOT NULL;

ALTER TABLE onething_published_items DROP CONSTRAINT onething_published_items_pkey;
ALTER TABLE onething_published_items ADD PRIMARY KEY (code, region, version);
