-- 0004: Orleans ADO.NET reminders table and its OrleansQuery rows.
--
-- Contract (Orleans.Reminders.AdoNet, RelationalOrleansQueries / DbStoredQueries):
--  * Parameters, as Npgsql sends them: @ServiceId, @GrainId, @ReminderName (text);
--    @GrainHash, @BeginHash, @EndHash (int4; a uint hash cast to int, so it can be
--    negative); @StartTime (DateTime with Kind Utc, sent as timestamptz);
--    @Period (int4 when it fits in an int, otherwise int8, in milliseconds);
--    @Version (int4).
--  * Reads use column names GrainId, ReminderName, StartTime, Period (GetInt64,
--    so bigint) and Version (Convert.ToInt32, becomes the ETag).
--  * UpsertReminderRowKey returns the new version in a column named Version.
--  * DeleteReminderRowKey returns one row with one column, read with
--    Convert.ToBoolean(GetValue(0)).
--  * The reminder service reads ranges of the consistent-hash ring:
--    ReadRangeRows1Key when (int)begin < (int)end, i.e. begin < hash <= end;
--    ReadRangeRows2Key otherwise, i.e. hash > begin OR hash <= end (the range
--    wraps around).
--
-- Design notes:
--  * Primary key (serviceid, grainid, remindername) serves the per-grain reads,
--    the upsert and the delete. The index (serviceid, grainhash) serves the
--    range reads, which the reminder service runs for each ring range a silo
--    owns.
--  * ReadRangeRows2Key is written as UNION ALL of two index range scans instead
--    of an OR, so both halves are plain index scans. The halves do not overlap,
--    because the provider uses this key only when (int)begin >= (int)end.
--    Each half also states the int4 limit on its open side. That changes no
--    result, but it makes each half a closed range. Without it, a generic plan
--    (Npgsql auto-prepare) estimates an open "> $n" at 1/3 of the table and
--    picks a sequential scan.
--  * The upsert is a plain INSERT ... ON CONFLICT DO UPDATE, with no PL/pgSQL.
--  * Key text columns use COLLATE "C". Equality means exactly the same bytes
--    under any deterministic collation, so the result is the same, and byte
--    comparison is cheaper.

CREATE TABLE orleansreminderstable
(
    serviceid    text COLLATE "C" NOT NULL,
    grainid      text COLLATE "C" NOT NULL,
    remindername text COLLATE "C" NOT NULL,
    starttime    timestamptz      NOT NULL,
    period       bigint           NOT NULL,
    grainhash    integer          NOT NULL,
    version      integer          NOT NULL,

    CONSTRAINT orleansreminderstable_pk PRIMARY KEY (serviceid, grainid, remindername)
);

CREATE INDEX orleansreminderstable_serviceid_grainhash_ix
    ON orleansreminderstable (serviceid, grainhash);

INSERT INTO orleansquery (querykey, querytext) VALUES

-- A new reminder starts at version 0. Each upsert adds 1. Returns the new version.
('UpsertReminderRowKey', $q$
INSERT INTO orleansreminderstable AS r
    (serviceid, grainid, remindername, starttime, period, grainhash, version)
VALUES
    (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
SET starttime = excluded.starttime,
    period = excluded.period,
    grainhash = excluded.grainhash,
    version = r.version + 1
RETURNING r.version AS version;
$q$),

('ReadReminderRowsKey', $q$
SELECT grainid,
       remindername,
       starttime,
       period,
       version
FROM orleansreminderstable
WHERE serviceid = @ServiceId
  AND grainid = @GrainId;
$q$),

('ReadReminderRowKey', $q$
SELECT grainid,
       remindername,
       starttime,
       period,
       version
FROM orleansreminderstable
WHERE serviceid = @ServiceId
  AND grainid = @GrainId
  AND remindername = @ReminderName;
$q$),

-- Ring range that does not wrap: begin < hash <= end.
('ReadRangeRows1Key', $q$
SELECT grainid,
       remindername,
       starttime,
       period,
       version
FROM orleansreminderstable
WHERE serviceid = @ServiceId
  AND grainhash > @BeginHash
  AND grainhash <= @EndHash;
$q$),

-- Ring range that wraps: hash > begin OR hash <= end (all rows when begin = end).
('ReadRangeRows2Key', $q$
SELECT grainid,
       remindername,
       starttime,
       period,
       version
FROM orleansreminderstable
WHERE serviceid = @ServiceId
  AND grainhash > @BeginHash
  AND grainhash <= 2147483647
UNION ALL
SELECT grainid,
       remindername,
       starttime,
       period,
       version
FROM orleansreminderstable
WHERE serviceid = @ServiceId
  AND grainhash >= -2147483648
  AND grainhash <= @EndHash;
$q$),

-- Returns 1 if the row with this exact version was deleted, else 0.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND grainid = @GrainId
      AND remindername = @ReminderName
      AND version = @Version
    RETURNING 1
)
SELECT count(*)::integer AS deleted FROM deleted;
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM orleansreminderstable
WHERE serviceid = @ServiceId;
$q$);
