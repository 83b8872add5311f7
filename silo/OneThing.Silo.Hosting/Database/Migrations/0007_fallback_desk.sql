-- The fallback desk (办不成事反映窗口): cases escalated because a deadline passed, written by the case grain.
-- Ops list the open ones oldest first and record who resolved each and how.

CREATE TABLE onething_fallback_desk (
    case_id      text        NOT NULL PRIMARY KEY,
    item_code    text        NOT NULL,
    status       text        NOT NULL,  -- open | resolved
    reason       text        NOT NULL,
    escalated_at timestamptz NOT NULL,
    due_at       timestamptz,
    resolved_at  timestamptz,
    resolved_by  text,
    resolution   text,
    revision     integer     NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE INDEX onething_fallback_desk_queue ON onething_fallback_desk (status, escalated_at, case_id);
