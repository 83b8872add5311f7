-- 0012: who read a case's personal data (查询留痕). The API appends a row for every read of a case, a task or an inbox
-- page with inputs by a department or ops, in batches; the applicant's channel lists a case's rows newest first.
-- Append-only: no key to maintain on the write path; id only orders the rows of one instant.
CREATE TABLE IF NOT EXISTS onething_case_access_log (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    case_id    text        NOT NULL,
    at         timestamptz NOT NULL,
    role       text        NOT NULL,
    name       text        NOT NULL,
    department text,
    route      text        NOT NULL
);

CREATE INDEX IF NOT EXISTS onething_case_access_log_newest ON onething_case_access_log (case_id, at DESC, id DESC);
