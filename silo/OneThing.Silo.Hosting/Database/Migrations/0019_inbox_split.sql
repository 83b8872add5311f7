-- 0019: ended tasks leave the hot inbox. The inbox table is partitioned by status: the tasks departments work (every
-- status but the ended ones, the default partition) stay in a table that holds only them, whatever the history, and
-- Completed, Rejected and Cancelled tasks (DepartmentTaskStatuses.IsEnded) go to a partition of their own that only
-- grows. Each partition is keyed by task id and written directly by the read-model writer; a task's row moves to the
-- ended partition in the commit that ends it. Readers read the parent, and a status names its partition.
ALTER TABLE onething_department_tasks RENAME TO onething_department_tasks_unsplit;
ALTER INDEX onething_department_tasks_pkey RENAME TO onething_department_tasks_unsplit_pkey;
ALTER INDEX onething_department_tasks_inbox RENAME TO onething_department_tasks_unsplit_inbox;
ALTER INDEX onething_department_tasks_case RENAME TO onething_department_tasks_unsplit_case;

CREATE TABLE onething_department_tasks (
    task_id     text        NOT NULL,
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
    view        jsonb       NOT NULL,
    overdue     boolean     NOT NULL DEFAULT false,
    warning     boolean     NOT NULL DEFAULT false
) PARTITION BY LIST (status);

CREATE TABLE onething_department_tasks_ended PARTITION OF onething_department_tasks
    FOR VALUES IN ('Completed', 'Rejected', 'Cancelled');
CREATE TABLE onething_department_tasks_open PARTITION OF onething_department_tasks DEFAULT;
ALTER TABLE onething_department_tasks_ended ADD PRIMARY KEY (task_id);
ALTER TABLE onething_department_tasks_open ADD PRIMARY KEY (task_id);

-- "My Ready tasks, earliest due first": one range of this index per department and status, already in page order; a
-- status names its partition, so an open inbox never reads an ended task's index entry.
CREATE INDEX onething_department_tasks_inbox ON onething_department_tasks (department, status, due_at, task_id);
CREATE INDEX onething_department_tasks_case ON onething_department_tasks (case_id);

INSERT INTO onething_department_tasks
    (task_id, case_id, department, matter_code, item_code, status, ready_at, due_at, revision, updated_at, view, overdue, warning)
SELECT task_id, case_id, department, matter_code, item_code, status, ready_at, due_at, revision, updated_at, view, overdue, warning
FROM onething_department_tasks_unsplit;

DROP TABLE onething_department_tasks_unsplit;
