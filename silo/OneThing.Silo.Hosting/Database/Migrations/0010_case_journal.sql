-- 0010: a case's changes are appended, not rewritten. Each change of a case is a row here saying what moved (a few
-- hundred bytes), written in the transaction of the read-model rows it touched; the whole case (about 12 KB of JSON)
-- goes to orleansstorage only as a snapshot, every OneThing:Cases:ChangesPerSnapshot changes and when the case ends.
-- A case is its snapshot plus its rows here with a higher revision. The key lets only one writer store each revision.
CREATE TABLE IF NOT EXISTS onething_case_changes (
    case_id    text        NOT NULL,
    revision   integer     NOT NULL,
    -- json, not jsonb: the silo is the only reader and reads it whole; json is checked, not converted, on the way in.
    change     json        NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, revision)
);

-- The first change of a case holds the whole case: kept in its row, compressed, as 0009 does for grain state.
DO $$
BEGIN
    ALTER TABLE onething_case_changes ALTER COLUMN change SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available on this server; case changes keep pglz compression';
END
$$;

ALTER TABLE onething_case_changes SET (toast_tuple_target = 8160);
