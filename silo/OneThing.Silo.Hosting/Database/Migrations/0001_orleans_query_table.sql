-- 0001: the OrleansQuery table used by the Orleans ADO.NET providers (clustering,
-- grain persistence, reminders).
--
-- Every ADO.NET provider starts by running
--     SELECT QueryKey, QueryText FROM OrleansQuery [WHERE QueryKey = ...]
-- and afterwards executes only the SQL texts it found here, binding its own
-- @Parameters. The contract is therefore: a table named OrleansQuery with the
-- columns QueryKey and QueryText, and one row per query key a provider asks for
-- (added by migrations 0002-0004).
--
-- Design notes:
--  * Identifiers are lower case and unquoted. The provider writes OrleansQuery,
--    QueryKey and QueryText unquoted, so PostgreSQL folds them to these names,
--    and Npgsql looks up the result columns by name without regard to case.
--  * querytext is text (no length limit). Our query texts are longer than the
--    varchar(8000) the upstream scripts use.
--  * This file is our own schema, not the upstream PostgreSQL-Main.sql script.
--    Our migrator runs it once, inside a transaction.

CREATE TABLE orleansquery
(
    querykey  varchar(64) NOT NULL,
    querytext text        NOT NULL,

    CONSTRAINT orleansquery_pk PRIMARY KEY (querykey)
);
