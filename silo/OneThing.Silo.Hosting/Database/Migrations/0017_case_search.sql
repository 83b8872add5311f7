-- 0017: ops search over cases and inbox filters, both read models written with the events that move them.
--
-- One row per case for GET /api/ops/cases: what ops filter on (item, region, status, departments, overdue, warning,
-- submission time), newest first by keyset (submitted_at, case_id). overdue and warning hold for the case or any of
-- its tasks.
CREATE TABLE onething_case_summaries (
    case_id      text        NOT NULL PRIMARY KEY,
    item_code    text        NOT NULL,
    region       text,
    status       text        NOT NULL,
    submitted_at timestamptz NOT NULL,
    due_at       timestamptz,
    completed_at timestamptz,
    overdue      boolean     NOT NULL,
    warning      boolean     NOT NULL,
    departments  text[]      NOT NULL,
    revision     integer     NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE INDEX onething_case_summaries_recent ON onething_case_summaries (submitted_at DESC, case_id DESC);
CREATE INDEX onething_case_summaries_item ON onething_case_summaries (item_code, submitted_at DESC, case_id DESC);
CREATE INDEX onething_case_summaries_status ON onething_case_summaries (status, submitted_at DESC, case_id DESC);
CREATE INDEX onething_case_summaries_overdue ON onething_case_summaries (submitted_at DESC, case_id DESC) WHERE overdue;
CREATE INDEX onething_case_summaries_departments ON onething_case_summaries USING gin (departments);

-- Cases stored before this migration, from the rows they already have; each case rewrites its own row when it next
-- activates or changes.
INSERT INTO onething_case_summaries
    (case_id, item_code, region, status, submitted_at, due_at, completed_at, overdue, warning, departments, revision, updated_at)
SELECT a.case_id, a.item_code, d.region, a.status, a.submitted_at, a.due_at, NULL,
       coalesce(t.overdue, false), coalesce(t.warning, false), coalesce(t.departments, '{}'), 0, now()
FROM (SELECT DISTINCT ON (case_id) * FROM onething_applicant_cases ORDER BY case_id, revision DESC) a
LEFT JOIN onething_case_directory d ON d.case_id = a.case_id
LEFT JOIN (SELECT case_id, bool_or(coalesce((view ->> 'overdue')::boolean, false)) AS overdue,
                  bool_or(coalesce((view ->> 'warning')::boolean, false)) AS warning, array_agg(DISTINCT department) AS departments
           FROM onething_department_tasks GROUP BY case_id) t ON t.case_id = a.case_id
ON CONFLICT (case_id) DO NOTHING;

-- The inbox filters on a task's flags as columns, not inside its JSON.
ALTER TABLE onething_department_tasks ADD COLUMN overdue boolean NOT NULL DEFAULT false;
ALTER TABLE onething_department_tasks ADD COLUMN warning boolean NOT NULL DEFAULT false;
UPDATE onething_department_tasks
SET overdue = coalesce((view ->> 'overdue')::boolean, false), warning = coalesce((view ->> 'warning')::boolean, false)
WHERE (view ->> 'overdue')::boolean OR (view ->> 'warning')::boolean;
