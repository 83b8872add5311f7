-- Read models: the queries grains cannot answer (a department's inbox, an applicant's cases). Grains write these
-- rows after their own state; they are never the source of truth and can always be rewritten from grain state.
--
-- Each row carries the writer's revision so that a late write of an older revision never overwrites a newer one
-- (a retried call may re-project a row after a later transition already did).

CREATE TABLE onething_department_tasks (
    task_id     text        NOT NULL PRIMARY KEY,
    case_id     text        NOT NULL,
    department  text        NOT NULL,
    matter_code text        NOT NULL,
    item_code   text        NOT NULL,
    status      text        NOT NULL,
    ready_at    timestamptz,
    due_at      timestamptz,
    revision    integer     NOT NULL,
    updated_at  timestamptz NOT NULL,
    -- The task as the API returns it, so an inbox page is one index range read and no grain calls.
    view        jsonb       NOT NULL
);

-- "My Ready tasks, earliest due first": one range of this index per department and status, already in page order.
CREATE INDEX onething_department_tasks_inbox
    ON onething_department_tasks (department, status, due_at, task_id);

CREATE INDEX onething_department_tasks_case
    ON onething_department_tasks (case_id);

-- Applicants are found by a SHA-256 of their identity number or credit code, never by the number in clear.
CREATE TABLE onething_applicant_cases (
    applicant_hash text        NOT NULL,
    case_id        text        NOT NULL,
    item_code      text        NOT NULL,
    status         text        NOT NULL,
    submitted_at   timestamptz NOT NULL,
    due_at         timestamptz,
    revision       integer     NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (applicant_hash, case_id)
);

-- "Cases of this applicant, newest first".
CREATE INDEX onething_applicant_cases_recent
    ON onething_applicant_cases (applicant_hash, submitted_at DESC, case_id);
