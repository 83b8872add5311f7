-- 0009: grain state stays in its row. A case's state is JSON of about 12 KB (its timeline and every matter's
-- inputs); above 2 KB PostgreSQL compressed it with pglz and moved it out of line, so each write of a case also
-- inserted TOAST chunks and their index entries and left the old ones for vacuum. With lz4 (several times cheaper
-- than pglz) and a toast target of a whole page, the compressed state (about 3.5 KB) stays in the row: the benchmark
-- measured 15-19 % less PostgreSQL CPU per case (bench/README.md). Rows already stored change on their next write.

-- lz4 needs a server built with it (Debian's and Ubuntu's are); without it the column keeps the default, pglz.
DO $$
BEGIN
    ALTER TABLE orleansstorage ALTER COLUMN payloadbinary SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available on this server; grain state keeps pglz compression';
END
$$;

ALTER TABLE orleansstorage SET (toast_tuple_target = 8160);
