-- 0006: what ops publish at run time (PUT /api/items/{code}, PUT /api/calendar/{year}). The files under catalog/
-- stay the built-in source; these rows add item versions and add or override calendar years. Every silo loads all
-- rows at start-up and then polls for rows newer than the last it saw.
--
-- Rows are never deleted or changed once written (items): a running case keeps the version it started with, so
-- every published version must stay readable for as long as any case may re-activate with it.

CREATE TABLE onething_published_items (
    code         text        NOT NULL,
    version      integer     NOT NULL CHECK (version >= 1),
    -- The item in the JSON shape GET /api/items/{code} serves, version included.
    definition   jsonb       NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (code, version)
);

-- The refresh reads "rows published after the last one I saw (minus a short overlap)": one index range.
CREATE INDEX onething_published_items_recent
    ON onething_published_items (published_at);

-- One row per year that ops published; it wins over catalog/calendar/<year>.json for that year.
-- A handful of rows ever, so the refresh's scan on updated_at needs no index.
CREATE TABLE onething_calendar_years (
    year             integer     NOT NULL PRIMARY KEY,
    holidays         date[]      NOT NULL,
    working_weekends date[]      NOT NULL,
    updated_at       timestamptz NOT NULL
);
