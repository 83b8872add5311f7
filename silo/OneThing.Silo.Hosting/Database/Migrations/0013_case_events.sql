-- 0013: a case is its events. Every change of a case appends typed events here, in the transaction of the read-model
-- rows they touch; they are kept for good (the case journal of 0010 is converted and then only read for old cases).
--
-- Partitioned by the month the case was submitted: all events of a case live in one partition, so reading a case's
-- events is one index range in one partition however many years the table holds, and a month that no longer needs to
-- be online can be detached and archived whole. Each event row repeats its case's month, and the primary key holds it
-- because PostgreSQL requires the partition key in every unique index.
CREATE TABLE onething_case_events (
    case_month       date        NOT NULL,
    case_id          text        NOT NULL,
    -- Gapless per case, from 1.
    seq              integer     NOT NULL,
    -- The global feed's order: (the writing transaction's id << 16) + the event's ordinal in that transaction. A reader
    -- takes only positions of transactions older than its snapshot's xmin, which have all ended, so a position that
    -- becomes visible later is never lower than one already read (sequences commit out of order; transaction ids do not
    -- matter once every transaction below the horizon has ended).
    position         bigint      NOT NULL,
    type             text        NOT NULL,
    -- The version of the event's data shape (see docs/architecture.md, "Event versions").
    version          smallint    NOT NULL,
    at               timestamptz NOT NULL,
    actor_role       text        NOT NULL,
    actor_name       text,
    actor_department text,
    matter_code      text,
    -- The department that owns matter_code; null for a case-level event. A department reads its own and the case's.
    department       text,
    item_code        text        NOT NULL,
    region           text,
    -- The event's typed data. Its "application" member holds what the applicant submitted (personal values sealed)
    -- and is never served: the API strips it.
    data             jsonb       NOT NULL,
    PRIMARY KEY (case_month, case_id, seq)
) PARTITION BY RANGE (case_month);

CREATE INDEX onething_case_events_position ON onething_case_events (position);

-- Months without a partition of their own (a clock far off, or a month nobody prepared) still store their events.
CREATE TABLE onething_case_events_default PARTITION OF onething_case_events DEFAULT;

-- Creates the monthly partitions from the month of first_month for the given number of months; each silo calls it at
-- start and then every 12 hours, so a month has its partition before its first case. A month whose rows already sit in the
-- default partition keeps them there (creating the partition would fail): noticed, not fatal.
CREATE OR REPLACE FUNCTION onething_ensure_event_partitions(first_month date, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    month   date := date_trunc('month', first_month)::date;
    created integer := 0;
    name    text;
BEGIN
    FOR i IN 1..months LOOP
        name := format('onething_case_events_%s', to_char(month, 'YYYY_MM'));
        IF to_regclass(name) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE %I PARTITION OF onething_case_events FOR VALUES FROM (%L) TO (%L)',
                               name, month, (month + interval '1 month')::date);
                created := created + 1;
            EXCEPTION WHEN check_violation THEN
                RAISE NOTICE 'events of % are in the default partition; % not created', to_char(month, 'YYYY-MM'), name;
            END;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;

-- Where each case's events are: its partition month, written with its first events. A case's grain knows only its id
-- when it activates without a snapshot, and its events are found through this row in one partition.
CREATE TABLE onething_case_directory (
    case_id      text        NOT NULL PRIMARY KEY,
    case_month   date        NOT NULL,
    item_code    text        NOT NULL,
    region       text,
    submitted_at timestamptz NOT NULL
);

-- Once-only jobs a silo finished, so the next start skips them: the conversion of the cases an earlier release stored
-- (snapshot plus change journal) into events, which otherwise happens only when such a case next activates.
CREATE TABLE onething_completed_jobs (
    job          text        NOT NULL PRIMARY KEY,
    completed_at timestamptz NOT NULL DEFAULT now()
);
