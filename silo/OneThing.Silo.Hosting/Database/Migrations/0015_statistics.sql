-- 0015: statistics projected from the case events (docs/architecture.md, "Statistics"). A projector follows the global
-- event feed from its checkpoint and adds each batch's figures here in the transaction that moves the checkpoint, so
-- every event counts exactly once whatever crashes.
--
-- One row per (grain, unit, day, item, region, department): grain 'd' is a day in China time (Asia/Shanghai), grain
-- 'm' the same figures for the month that starts on day, so that a year reads twelve months and not 365 days. unit
-- 'c' counts cases (department ''), 't' department tasks. A unit counts in the day of its event: submitted and open
-- on the day it started (open falls when it ends), completed, rejected, withdrawn, finished, on time and the working
-- days on the day it ended, overdue on the day it went overdue, a rating on the day it was given.
CREATE TABLE onething_statistics (
    grain               char(1)          NOT NULL,
    unit                char(1)          NOT NULL,
    day                 date             NOT NULL,
    item_code           text             NOT NULL,
    region              text             NOT NULL,
    department          text             NOT NULL,
    submitted           bigint           NOT NULL DEFAULT 0,
    completed           bigint           NOT NULL DEFAULT 0,
    rejected            bigint           NOT NULL DEFAULT 0,
    withdrawn           bigint           NOT NULL DEFAULT 0,
    open                bigint           NOT NULL DEFAULT 0,
    overdue             bigint           NOT NULL DEFAULT 0,
    finished            bigint           NOT NULL DEFAULT 0,
    on_time             bigint           NOT NULL DEFAULT 0,
    -- Sums over the finished units: working days from start to end without the 补正 pauses, and those pauses.
    working_days        double precision NOT NULL DEFAULT 0,
    paused_working_days double precision NOT NULL DEFAULT 0,
    -- Finished units by working days in tenths, rounded up: element i (from 1) counts those of (i-2)/10 < days <= (i-1)/10,
    -- the last element also every longer one. Percentiles come from these; they merge by adding.
    bins                integer[]        NOT NULL DEFAULT '{}',
    rated_1             bigint           NOT NULL DEFAULT 0,
    rated_2             bigint           NOT NULL DEFAULT 0,
    rated_3             bigint           NOT NULL DEFAULT 0,
    rated_4             bigint           NOT NULL DEFAULT 0,
    rated_5             bigint           NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, unit, day, item_code, region, department)
);

-- Adds b into a element by element; plpgsql assigns into an expanded array in place, so a sum over many rows stays cheap.
CREATE FUNCTION onething_add_bins(a integer[], b integer[]) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF b IS NULL OR cardinality(b) = 0 THEN
        RETURN a;
    END IF;
    IF a IS NULL OR cardinality(a) = 0 THEN
        RETURN b;
    END IF;
    FOR i IN 1..cardinality(b) LOOP
        a[i] := coalesce(a[i], 0) + b[i];
    END LOOP;
    RETURN a;
END
$$;

CREATE AGGREGATE onething_sum_bins(integer[]) (SFUNC = onething_add_bins, STYPE = integer[], INITCOND = '{}');

-- What the projection must remember of a case or a task between events: when it started, its due time as pauses moved
-- it, the working time paused, whether it already counted as overdue; a case also the departments it ran (its rating
-- counts for each). A task's row goes when it ends; a case's when it is rated (a rating comes only after the end).
CREATE TABLE onething_statistics_units (
    case_id      text        NOT NULL,
    -- '' for the case itself.
    matter_code  text        NOT NULL,
    department   text        NOT NULL,
    item_code    text        NOT NULL,
    region       text        NOT NULL,
    started_at   timestamptz NOT NULL,
    due_at       timestamptz,
    paused_since timestamptz,
    paused       interval    NOT NULL,
    overdue      boolean     NOT NULL,
    ended        boolean     NOT NULL,
    departments  text        NOT NULL,
    PRIMARY KEY (case_id, matter_code)
);

-- Open overdue tasks per department (GET /api/ops/statistics/departments): ended tasks have no row.
CREATE INDEX onething_statistics_units_overdue ON onething_statistics_units (department) WHERE overdue AND matter_code <> '';

-- Each consumer of the event feed keeps its own checkpoint: the last position whose effects it committed.
CREATE TABLE onething_projection_checkpoints (
    name     text   NOT NULL PRIMARY KEY,
    position bigint NOT NULL
);

INSERT INTO onething_projection_checkpoints (name, position) VALUES ('statistics', 0);
