-- 0016: the fallback desk holds entries, not only escalated cases: a case's deadline escalation (entry id = case id, as
-- before), the follow-up of a rating of 1 or 2 (entry id '<case id>.low-rating'), and an applicant's own request
-- (which may name no case). Each entry is due within a number of working days of being opened (due_at); the case's own
-- due time moves to case_due_at.
ALTER TABLE onething_fallback_desk RENAME COLUMN due_at TO case_due_at;
ALTER TABLE onething_fallback_desk ADD COLUMN due_at timestamptz;
ALTER TABLE onething_fallback_desk ADD COLUMN entry_id text;
UPDATE onething_fallback_desk SET entry_id = case_id;
ALTER TABLE onething_fallback_desk ALTER COLUMN entry_id SET NOT NULL;
ALTER TABLE onething_fallback_desk DROP CONSTRAINT onething_fallback_desk_pkey;
ALTER TABLE onething_fallback_desk ADD PRIMARY KEY (entry_id);
ALTER TABLE onething_fallback_desk ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE onething_fallback_desk ALTER COLUMN item_code DROP NOT NULL;
-- deadline | rating | applicant
ALTER TABLE onething_fallback_desk ADD COLUMN source text NOT NULL DEFAULT 'deadline';
ALTER TABLE onething_fallback_desk ADD COLUMN description text;
-- An applicant's request: the applicant as JSON, identity number and phone sealed, and the applicant index's key.
ALTER TABLE onething_fallback_desk ADD COLUMN applicant text;
ALTER TABLE onething_fallback_desk ADD COLUMN applicant_hash text;

DROP INDEX onething_fallback_desk_queue;
CREATE INDEX onething_fallback_desk_queue ON onething_fallback_desk (status, escalated_at, entry_id);
CREATE INDEX onething_fallback_desk_case ON onething_fallback_desk (case_id);
