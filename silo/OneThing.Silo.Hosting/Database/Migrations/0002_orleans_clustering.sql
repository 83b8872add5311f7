-- 0002: Orleans ADO.NET clustering (membership) tables and their OrleansQuery rows.
--
-- Contract (Orleans.Clustering.AdoNet, RelationalOrleansQueries / DbStoredQueries):
--  * Parameters: @DeploymentId (text), @Address (text), @Port, @Generation,
--    @Status, @ProxyPort, @Version (int4), @SiloName, @HostName, @SuspectTimes
--    (text), @StartTime, @IAmAliveTime (DateTime, sent by Npgsql as timestamptz).
--  * Reads use column names: Address, Port, Generation, SiloName, HostName,
--    Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime, Version.
--    Port, Generation, Status and ProxyPort are read with GetInt32, so they are
--    integer columns. Version is read with Convert.ToInt32.
--  * InsertMembershipVersionKey, InsertMembershipKey and UpdateMembershipKey
--    must return exactly one row with exactly one column. The provider reads it
--    with Convert.ToBoolean(record.GetValue(0)), so 0 means false and any other
--    value means true.
--  * Both membership reads return the version row LEFT JOINed to the member
--    rows. The provider reads the table version from the first row, and a NULL
--    StartTime means there are no members.
--
-- Design notes:
--  * The version row (one per deployment) is the optimistic concurrency token
--    for the whole membership table. A member insert or update succeeds only if
--    @Version equals the stored version, and then it adds exactly 1 to the
--    version. Each of these is ONE SQL statement, using data-modifying CTEs,
--    with no PL/pgSQL function:
--      - The version row is updated first, with the check
--        "version = @Version AND [NOT] EXISTS (member row)". The row lock on the
--        version row serialises concurrent writers. READ COMMITTED re-checks
--        the version on the latest row, so of two writers holding the same etag
--        only one can win.
--      - The member row is written only if the version row was bumped.
--      - The [NOT] EXISTS pre-check makes a duplicate insert, or an update of a
--        missing row, return false WITHOUT bumping the version. The upstream
--        functions behave the same way: they roll back the bump.
--  * The FK to the version table and timestamptz columns follow the upstream
--    layout. Text columns have no length limits.

CREATE TABLE orleansmembershipversiontable
(
    deploymentid text        NOT NULL,
    modifiedon   timestamptz NOT NULL DEFAULT now(),
    version      integer     NOT NULL DEFAULT 0,

    CONSTRAINT orleansmembershipversiontable_pk PRIMARY KEY (deploymentid)
);

CREATE TABLE orleansmembershiptable
(
    deploymentid text        NOT NULL,
    address      text        NOT NULL,
    port         integer     NOT NULL,
    generation   integer     NOT NULL,
    siloname     text        NOT NULL,
    hostname     text        NOT NULL,
    status       integer     NOT NULL,
    proxyport    integer     NOT NULL,
    suspecttimes text        NULL,
    starttime    timestamptz NOT NULL,
    iamalivetime timestamptz NOT NULL,

    CONSTRAINT orleansmembershiptable_pk PRIMARY KEY (deploymentid, address, port, generation),
    CONSTRAINT orleansmembershiptable_version_fk FOREIGN KEY (deploymentid)
        REFERENCES orleansmembershipversiontable (deploymentid)
);

INSERT INTO orleansquery (querykey, querytext) VALUES

-- Returns 1 if this call created the version row, 0 if it already existed.
('InsertMembershipVersionKey', $q$
WITH inserted AS (
    INSERT INTO orleansmembershipversiontable (deploymentid)
    VALUES (@DeploymentId)
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer AS inserted FROM inserted;
$q$),

-- Returns 1 if the member row was inserted and the version went from @Version to
-- @Version + 1. Returns 0 on a version mismatch or a duplicate member, and then
-- changes nothing.
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE orleansmembershipversiontable
    SET version = version + 1,
        modifiedon = now()
    WHERE deploymentid = @DeploymentId
      AND version = @Version
      AND NOT EXISTS (
          SELECT 1
          FROM orleansmembershiptable m
          WHERE m.deploymentid = @DeploymentId
            AND m.address = @Address
            AND m.port = @Port
            AND m.generation = @Generation)
    RETURNING deploymentid
), inserted AS (
    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname,
         status, proxyport, starttime, iamalivetime)
    SELECT b.deploymentid, @Address::text, @Port::integer, @Generation::integer,
           @SiloName::text, @HostName::text, @Status::integer, @ProxyPort::integer,
           @StartTime::timestamptz, @IAmAliveTime::timestamptz
    FROM bumped b
    ON CONFLICT (deploymentid, address, port, generation) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer AS inserted FROM inserted;
$q$),

-- Returns 1 if the member row was updated and the version went from @Version to
-- @Version + 1. Returns 0 on a version mismatch or a missing member, and then
-- changes nothing.
('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE orleansmembershipversiontable
    SET version = version + 1,
        modifiedon = now()
    WHERE deploymentid = @DeploymentId
      AND version = @Version
      AND EXISTS (
          SELECT 1
          FROM orleansmembershiptable m
          WHERE m.deploymentid = @DeploymentId
            AND m.address = @Address
            AND m.port = @Port
            AND m.generation = @Generation)
    RETURNING deploymentid
), updated AS (
    UPDATE orleansmembershiptable m
    SET status = @Status,
        suspecttimes = @SuspectTimes,
        iamalivetime = @IAmAliveTime
    FROM bumped b
    WHERE m.deploymentid = b.deploymentid
      AND m.address = @Address
      AND m.port = @Port
      AND m.generation = @Generation
    RETURNING 1
)
SELECT count(*)::integer AS updated FROM updated;
$q$),

-- Fire and forget. The provider does not check the result.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleansmembershiptable
SET iamalivetime = @IAmAliveTime
WHERE deploymentid = @DeploymentId
  AND address = @Address
  AND port = @Port
  AND generation = @Generation;
$q$),

('MembershipReadRowKey', $q$
SELECT v.deploymentid,
       m.address,
       m.port,
       m.generation,
       m.siloname,
       m.hostname,
       m.status,
       m.proxyport,
       m.suspecttimes,
       m.starttime,
       m.iamalivetime,
       v.version
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m
       ON m.deploymentid = v.deploymentid
      AND m.address = @Address
      AND m.port = @Port
      AND m.generation = @Generation
WHERE v.deploymentid = @DeploymentId;
$q$),

('MembershipReadAllKey', $q$
SELECT v.deploymentid,
       m.address,
       m.port,
       m.generation,
       m.siloname,
       m.hostname,
       m.status,
       m.proxyport,
       m.suspecttimes,
       m.starttime,
       m.iamalivetime,
       v.version
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m
       ON m.deploymentid = v.deploymentid
WHERE v.deploymentid = @DeploymentId;
$q$),

-- @Status is SiloStatus.Active. Only silos that have a gateway (proxy port) are returned.
('GatewaysQueryKey', $q$
SELECT address,
       proxyport,
       generation
FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND status = @Status
  AND proxyport > 0;
$q$),

-- One statement. The (NO ACTION) foreign key is checked at the end of the
-- statement, when both deletes have been applied.
('DeleteMembershipTableEntriesKey', $q$
WITH members AS (
    DELETE FROM orleansmembershiptable
    WHERE deploymentid = @DeploymentId
)
DELETE FROM orleansmembershipversiontable
WHERE deploymentid = @DeploymentId;
$q$),

-- Same rule as every upstream script: remove entries that are not Active
-- (SiloStatus.Active = 3) and whose last heartbeat is older than @IAmAliveTime.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND iamalivetime < @IAmAliveTime
  AND status <> 3;
$q$);
