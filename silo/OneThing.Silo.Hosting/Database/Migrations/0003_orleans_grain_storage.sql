-- 0003: Orleans ADO.NET grain persistence (AdoNetGrainStorage): the state table
-- and its four OrleansQuery rows (WriteToStorageKey, ReadFromStorageKey,
-- ClearStorageKey, DeleteStorageKey).
--
-- Contract (Orleans.Persistence.AdoNet, Storage/Provider/AdoNetGrainStorage.cs):
--  * Parameters, as Npgsql sends them: @GrainIdHash int4, @GrainIdN0 int8,
--    @GrainIdN1 int8, @GrainTypeHash int4, @GrainTypeString text,
--    @GrainIdExtensionString text (NULL when the key has no extension),
--    @ServiceId text, @GrainStateVersion int4 (NULL when the grain has no ETag),
--    @PayloadBinary bytea (write only). The column types below match these
--    exactly, so no comparison needs a cast and every predicate can use the index.
--  * ReadFromStorageKey: the provider reads "PayloadBinary" (NULL means no state)
--    and "Version" (GetNullableInt32, becomes the ETag) by name.
--  * WriteToStorageKey: the provider reads "NewGrainStateVersion" by name,
--    converts it with int?.ToString() (so NULL becomes ""), and takes
--    SingleOrDefault() of the rows (so no row becomes null). It then raises
--    InconsistentStateException if
--        storageVersion == grainETag  ||  storageVersion == ""  ||
--        (storageVersion == null && grainETag != null).
--    So "no row" is NOT treated as a conflict when the ETag of the grain is null.
--    For that reason this write ALWAYS returns exactly one row: the new version
--    on success, NULL on any mismatch.
--  * ClearStorageKey / DeleteStorageKey (DeleteStorageKey is used when
--    AdoNetGrainStorageOptions.DeleteStateOnClear = true): the provider reads
--    column 0 by ordinal with GetValue(0).ToString() (DBNull becomes "") and
--    applies the same check. After a delete it sets the ETag to null.
--
-- Design notes (performance is why we do not use the upstream scripts):
--  * Real unique key on the actual identity values:
--    (grainidhash, grainidn0, grainidn1, graintypestring, serviceid,
--    grainidextensionstring), declared UNIQUE NULLS NOT DISTINCT (PostgreSQL
--    15+) because the extension is NULL for plain GUID and integer keys.
--    grainidhash comes first so that index descents compare an int4 first.
--    Correctness never depends on the hash: two grains whose hashes collide
--    still differ in n0/n1/extension.
--    graintypehash is stored but is not part of the key (graintypestring is),
--    and no query filters on it. @GrainTypeHash is referenced only by the
--    INSERT. Npgsql binds only the parameters that the SQL text references, so
--    extra parameters are harmless.
--  * Key text columns use COLLATE "C". Equality means exactly the same bytes
--    under any deterministic collation, so the result is the same, and byte
--    comparison is cheaper.
--  * The write is ONE plain SQL statement with no PL/pgSQL and no function
--    call. The upstream writetostorage() function runs an UPDATE and an INSERT
--    on every call. Two data-modifying CTEs, only one of which can act:
--      - updated:  UPDATE ... WHERE <key> AND version = @GrainStateVersion
--                  (matches nothing when @GrainStateVersion is NULL).
--      - inserted: INSERT ... SELECT ... WHERE @GrainStateVersion IS NULL
--                  ON CONFLICT (<key>) DO NOTHING.
--    We do not use a bare "INSERT ... ON CONFLICT DO UPDATE ... WHERE
--    version = @v RETURNING version", because the provider gets it wrong in two
--    cases:
--      (a) a NULL ETag that hits an existing row returns no row, and with a
--          NULL ETag the provider treats "no row" as SUCCESS (lost write);
--      (b) a non-null ETag whose row is gone (for example deleted by
--          DeleteStateOnClear on another activation) INSERTs a fresh row, and
--          the provider accepts that stale write.
--    With the two CTEs, a non-null ETag can only ever update, and the outer
--    SELECT always returns exactly one row.
--    Concurrency: two first writes race on the unique index, and the loser gets
--    DO NOTHING, so NULL, so InconsistentStateException. Two updates with the
--    same ETag serialise on the row lock, and READ COMMITTED re-checks
--    "version = @v" on the new row version, so the second one gets NULL.
--    Planning this statement takes about 0.15 ms, more than it takes to run.
--    Enable Npgsql automatic preparation in the connection string
--    ("Max Auto Prepare=50") so it is parsed and planned once per connection.
--    The generic plan uses the unique index.
--  * fillfactor 90 leaves room on each page. The write never changes an indexed
--    column, so most updates can be HOT (no index write).

CREATE TABLE orleansstorage
(
    grainidhash            integer               NOT NULL,
    grainidn0              bigint                NOT NULL,
    grainidn1              bigint                NOT NULL,
    graintypehash          integer               NOT NULL,
    graintypestring        text COLLATE "C"      NOT NULL,
    grainidextensionstring text COLLATE "C"      NULL,
    serviceid              text COLLATE "C"      NOT NULL,
    payloadbinary          bytea                 NULL,
    modifiedon             timestamptz           NOT NULL DEFAULT now(),
    version                integer               NOT NULL,

    CONSTRAINT orleansstorage_key UNIQUE NULLS NOT DISTINCT
        (grainidhash, grainidn0, grainidn1, graintypestring, serviceid, grainidextensionstring)
) WITH (fillfactor = 90);

INSERT INTO orleansquery (querykey, querytext) VALUES

-- Returns exactly one row: the new version (1 for a first write, else
-- @GrainStateVersion + 1), or NULL on a mismatch. A mismatch is a row that
-- already exists for a NULL ETag, a stale ETag, or a non-NULL ETag with no row.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleansstorage
    SET payloadbinary = @PayloadBinary,
        modifiedon = now(),
        version = version + 1
    WHERE grainidhash = @GrainIdHash
      AND grainidn0 = @GrainIdN0
      AND grainidn1 = @GrainIdN1
      AND graintypestring = @GrainTypeString
      AND serviceid = @ServiceId
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
      AND version = @GrainStateVersion
    RETURNING version
), inserted AS (
    INSERT INTO orleansstorage
        (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring,
         grainidextensionstring, serviceid, payloadbinary, modifiedon, version)
    SELECT @GrainIdHash::integer, @GrainIdN0::bigint, @GrainIdN1::bigint,
           @GrainTypeHash::integer, @GrainTypeString::text,
           @GrainIdExtensionString::text, @ServiceId::text,
           @PayloadBinary::bytea, now(), 1
    WHERE @GrainStateVersion::integer IS NULL
    ON CONFLICT (grainidhash, grainidn0, grainidn1, graintypestring, serviceid, grainidextensionstring)
        DO NOTHING
    RETURNING version
)
SELECT COALESCE((SELECT version FROM updated), (SELECT version FROM inserted)) AS newgrainstateversion;
$q$),

-- Zero or one row. A row whose payloadbinary is NULL is a cleared state that
-- still has a version.
('ReadFromStorageKey', $q$
SELECT payloadbinary,
       modifiedon,
       version
FROM orleansstorage
WHERE grainidhash = @GrainIdHash
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND graintypestring = @GrainTypeString
  AND serviceid = @ServiceId
  AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString;
$q$),

-- Clear without deleting: keeps the row, sets the payload to NULL and bumps the version.
--  * Version matches: one row with the new version.
--  * Stale ETag, or the row is gone: no row. The provider sees null with a
--    non-null ETag, which is a conflict.
--  * NULL ETag but a row exists: one NULL row. The provider sees "", which is
--    a conflict. NULL ETag and no row: no row, so there is nothing to clear.
('ClearStorageKey', $q$
WITH cleared AS (
    UPDATE orleansstorage
    SET payloadbinary = NULL,
        modifiedon = now(),
        version = version + 1
    WHERE grainidhash = @GrainIdHash
      AND grainidn0 = @GrainIdN0
      AND grainidn1 = @GrainIdN1
      AND graintypestring = @GrainTypeString
      AND serviceid = @ServiceId
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
      AND version = @GrainStateVersion
    RETURNING version
)
SELECT version AS newgrainstateversion FROM cleared
UNION ALL
SELECT NULL::integer
FROM orleansstorage
WHERE @GrainStateVersion::integer IS NULL
  AND grainidhash = @GrainIdHash
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND graintypestring = @GrainTypeString
  AND serviceid = @ServiceId
  AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString;
$q$),

-- Clear with DeleteStateOnClear = true: deletes the row when the version matches.
-- Returns deleted version + 1, as the provider expects, so that it differs from
-- the ETag. The provider then sets the ETag to null. Mismatches behave as in
-- ClearStorageKey.
('DeleteStorageKey', $q$
WITH deleted AS (
    DELETE FROM orleansstorage
    WHERE grainidhash = @GrainIdHash
      AND grainidn0 = @GrainIdN0
      AND grainidn1 = @GrainIdN1
      AND graintypestring = @GrainTypeString
      AND serviceid = @ServiceId
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
      AND version = @GrainStateVersion
    RETURNING version + 1 AS newgrainstateversion
)
SELECT newgrainstateversion FROM deleted
UNION ALL
SELECT NULL::integer
FROM orleansstorage
WHERE @GrainStateVersion::integer IS NULL
  AND grainidhash = @GrainIdHash
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND graintypestring = @GrainTypeString
  AND serviceid = @ServiceId
  AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString;
$q$);
