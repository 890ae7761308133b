-- Hand-written DuckDB SQL for the flow tables of bench_flow.py, by the definitions of
-- docs/metrics.md: the baseline productops is measured against (issue 3).
--
-- bench_flow.py replaces ${folder} (the folder of the Parquet files) and ${as_of}, runs
-- the statements in order and fetches each one marked "-- result: NAME" as an Arrow table.
-- The stays and the per-item table are built once and shared by the queries after them.
--
-- Whole seconds between two instants are the difference of their whole epoch seconds
-- (epoch_us // 1e6, for instants after 1970: integer arithmetic, where date_trunc and
-- date_diff on TIMESTAMPTZ go through ICU's calendar). Periods are date_trunc in UTC.

SET TimeZone = 'UTC';

CREATE OR REPLACE TEMP MACRO whole_seconds(ts) AS epoch_us(ts) // 1000000;

-- One row per stay of an item in a status: from the move into it to the item's next move;
-- before its first move the item stays in that move's from_status since created_at.
CREATE OR REPLACE TEMP TABLE stays AS
WITH moves AS MATERIALIZED (
    SELECT
        t.work_item_id,
        t.from_status,
        t.to_status,
        t.to_category,
        t.changed_at,
        lead(t.changed_at) OVER by_item AS left_at,
        row_number() OVER by_item = 1 AS first
    FROM read_parquet('${folder}/work_item_transition.parquet') AS t
    WINDOW by_item AS (PARTITION BY t.work_item_id ORDER BY t.changed_at, t.to_status)
),
item AS (
    SELECT id, team_id, created_at FROM read_parquet('${folder}/work_item.parquet')
),
known_category AS (
    SELECT to_status AS status, max(to_category) AS category
    FROM read_parquet('${folder}/work_item_transition.parquet')
    GROUP BY to_status
)
SELECT
    m.work_item_id,
    i.team_id,
    m.to_status AS status,
    m.to_category AS category,
    m.changed_at AS entered_at,
    m.left_at,
    whole_seconds(
        CASE
            WHEN m.left_at IS NULL AND m.to_category NOT IN ('done', 'cancelled') THEN ${as_of}
            ELSE m.left_at
        END
    ) - whole_seconds(m.changed_at) AS seconds
FROM moves AS m
JOIN item AS i ON i.id = m.work_item_id
UNION ALL
SELECT
    m.work_item_id,
    i.team_id,
    m.from_status,
    k.category,
    i.created_at,
    m.changed_at,
    whole_seconds(m.changed_at) - whole_seconds(i.created_at)
FROM moves AS m
JOIN item AS i ON i.id = m.work_item_id
LEFT JOIN known_category AS k ON k.status = m.from_status
WHERE m.first AND m.from_status IS NOT NULL AND m.changed_at > i.created_at;

-- The per-item table: lead time (done items), cycle time (time in in-progress statuses),
-- status changes.
CREATE OR REPLACE TEMP TABLE items AS
SELECT
    w.id AS work_item_id,
    w.team_id,
    w.type,
    w.status,
    w.status_category,
    w.created_at,
    w.started_at,
    w.resolved_at,
    CASE
        WHEN w.status_category = 'done' AND w.resolved_at IS NOT NULL
            THEN (whole_seconds(w.resolved_at) - whole_seconds(w.created_at)) / 86400
    END AS lead_time_days,
    coalesce(s.active_seconds, 0) / 86400 AS cycle_time_days,
    greatest(coalesce(s.stays, 1) - 1, 0) AS status_changes
FROM read_parquet('${folder}/work_item.parquet') AS w
LEFT JOIN (
    SELECT
        work_item_id,
        sum(seconds) FILTER (WHERE category = 'in_progress') AS active_seconds,
        count(*) AS stays
    FROM stays
    GROUP BY work_item_id
) AS s ON s.work_item_id = w.id;

-- result: items
SELECT * FROM items;

-- result: percentiles
-- Lead and cycle time percentiles of the items done in each month, per team, in one pass.
SELECT
    team_id,
    period_start,
    items,
    lead[1] AS lead_p50,
    lead[2] AS lead_p70,
    lead[3] AS lead_p85,
    lead[4] AS lead_p95,
    cycle[1] AS cycle_p50,
    cycle[2] AS cycle_p70,
    cycle[3] AS cycle_p85,
    cycle[4] AS cycle_p95
FROM (
    SELECT
        team_id,
        date_trunc('month', resolved_at) AS period_start,
        count(*) AS items,
        quantile_cont(lead_time_days, [0.5, 0.7, 0.85, 0.95]) AS lead,
        quantile_cont(cycle_time_days, [0.5, 0.7, 0.85, 0.95]) AS cycle
    FROM items
    WHERE status_category = 'done' AND resolved_at IS NOT NULL
    GROUP BY ALL
)
ORDER BY team_id, period_start;

-- result: throughput
SELECT team_id, date_trunc('week', resolved_at) AS period_start, count(*) AS items
FROM items
WHERE status_category = 'done' AND resolved_at IS NOT NULL
GROUP BY ALL
ORDER BY team_id, period_start;

-- result: wip
-- Items in progress after the last start or finish of each week with one, per team: the
-- running sum of the weeks' net starts (every event of a week is at or before its last).
WITH events AS (
    SELECT team_id, date_trunc('week', started_at) AS period_start, 1 AS delta
    FROM items
    WHERE started_at IS NOT NULL
    UNION ALL
    SELECT team_id, date_trunc('week', resolved_at), -1
    FROM items
    WHERE started_at IS NOT NULL AND resolved_at IS NOT NULL
),
weekly AS (
    SELECT team_id, period_start, sum(delta) AS delta
    FROM events
    GROUP BY ALL
)
SELECT
    team_id,
    period_start,
    sum(delta) OVER (PARTITION BY team_id ORDER BY period_start ROWS UNBOUNDED PRECEDING) AS wip
FROM weekly
ORDER BY team_id, period_start;

-- result: bottleneck
-- The wait status holding most of the waiting time of the items a team finished in a month.
WITH done AS (
    SELECT work_item_id, date_trunc('month', resolved_at) AS period_start
    FROM items
    WHERE status_category = 'done' AND resolved_at IS NOT NULL
),
per_status AS (
    SELECT
        s.team_id,
        d.period_start,
        s.status,
        count(DISTINCT s.work_item_id) AS items,
        sum(s.seconds) AS seconds
    FROM stays AS s
    JOIN done AS d ON d.work_item_id = s.work_item_id
    WHERE s.category = 'in_progress' AND s.seconds IS NOT NULL
    GROUP BY ALL
),
shares AS (
    SELECT
        *,
        lower(status) IN (
            'in review', 'code review', 'ready for review', 'waiting for review', 'ready for qa',
            'ready for release', 'ready to deploy', 'waiting', 'blocked', 'on hold'
        ) AS waiting,
        seconds / sum(seconds) OVER team_period AS share_of_cycle,
        sum(seconds) FILTER (WHERE waiting) OVER team_period AS waiting_seconds
    FROM per_status
    WINDOW team_period AS (PARTITION BY team_id, period_start)
),
trended AS (
    SELECT
        *,
        lag(share_of_cycle) OVER (PARTITION BY team_id, status ORDER BY period_start)
            AS previous_share_of_cycle
    FROM shares
)
SELECT
    team_id,
    period_start,
    status,
    items,
    seconds / 86400 AS days,
    seconds / waiting_seconds AS share_of_waiting,
    share_of_cycle,
    previous_share_of_cycle,
    share_of_cycle - previous_share_of_cycle AS trend
FROM trended
WHERE waiting
QUALIFY row_number() OVER (PARTITION BY team_id, period_start ORDER BY seconds DESC, status) = 1
ORDER BY team_id, period_start;

-- result: flow_efficiency
-- Waiting = time in wait statuses + time flagged during the other in-progress statuses.
WITH done AS (
    SELECT work_item_id, date_trunc('month', resolved_at) AS period_start
    FROM items
    WHERE status_category = 'done' AND resolved_at IS NOT NULL
),
active AS (
    SELECT
        s.work_item_id,
        s.team_id,
        d.period_start,
        s.entered_at,
        s.left_at,
        s.seconds,
        lower(s.status) IN (
            'in review', 'code review', 'ready for review', 'waiting for review', 'ready for qa',
            'ready for release', 'ready to deploy', 'waiting', 'blocked', 'on hold'
        ) AS waiting
    FROM stays AS s
    JOIN done AS d ON d.work_item_id = s.work_item_id
    WHERE s.category = 'in_progress' AND s.seconds IS NOT NULL
),
flagged AS (
    -- a stay is its item and the instant it began
    SELECT
        a.work_item_id,
        a.entered_at,
        sum(
            whole_seconds(least(a.left_at, coalesce(f.ended_at, ${as_of})))
            - whole_seconds(greatest(a.entered_at, f.started_at))
        ) AS seconds
    FROM active AS a
    JOIN read_parquet('${folder}/work_item_flag.parquet') AS f
        ON f.work_item_id = a.work_item_id
        AND f.started_at < a.left_at
        AND coalesce(f.ended_at, ${as_of}) > a.entered_at
    WHERE NOT a.waiting
    GROUP BY ALL
),
totals AS (
    SELECT
        a.team_id,
        a.period_start,
        count(DISTINCT a.work_item_id) AS items,
        sum(a.seconds) AS cycle,
        sum(
            CASE WHEN a.waiting THEN a.seconds ELSE least(coalesce(f.seconds, 0), a.seconds) END
        ) AS waiting
    FROM active AS a
    LEFT JOIN flagged AS f ON f.work_item_id = a.work_item_id AND f.entered_at = a.entered_at
    GROUP BY ALL
)
SELECT
    team_id,
    period_start,
    items,
    cycle / 86400 AS cycle_days,
    waiting / 86400 AS waiting_days,
    (cycle - waiting) / 86400 AS active_days,
    CASE WHEN cycle > 0 THEN (cycle - waiting) / cycle END AS efficiency
FROM totals
ORDER BY team_id, period_start;

-- result: conformance
-- Standard workflow To Do, In Progress, In Review, QA (optional), Done. A move deviates when
-- it goes to a status outside the workflow, backwards, or forward over a required status;
-- moves into a cancelled status are allowed, and so are In Review or QA -> In Progress.
WITH ranked AS (
    SELECT
        work_item_id,
        to_category,
        CASE lower(from_status)
            WHEN 'to do' THEN 0 WHEN 'in progress' THEN 1 WHEN 'in review' THEN 2
            WHEN 'qa' THEN 3 WHEN 'done' THEN 4
        END AS from_rank,
        CASE lower(to_status)
            WHEN 'to do' THEN 0 WHEN 'in progress' THEN 1 WHEN 'in review' THEN 2
            WHEN 'qa' THEN 3 WHEN 'done' THEN 4
        END AS to_rank
    FROM read_parquet('${folder}/work_item_transition.parquet')
    WHERE from_status IS NOT NULL
),
deviating AS (
    SELECT DISTINCT work_item_id
    FROM ranked
    WHERE CASE
        WHEN to_category = 'cancelled' THEN false
        WHEN from_rank IN (2, 3) AND to_rank = 1 THEN false
        WHEN to_rank IS NULL THEN true
        WHEN from_rank IS NULL THEN false
        WHEN to_rank < from_rank THEN true
        -- forward over a required status: a jump of two or more, but for In Review -> Done (over QA)
        ELSE to_rank > from_rank + 1 AND NOT (from_rank = 2 AND to_rank = 4)
    END
),
counts AS (
    SELECT
        i.team_id,
        date_trunc('month', i.resolved_at) AS period_start,
        count(*) AS items,
        count(*) FILTER (WHERE d.work_item_id IS NULL) AS conforming
    FROM items AS i
    LEFT JOIN deviating AS d ON d.work_item_id = i.work_item_id
    WHERE i.status_category = 'done' AND i.resolved_at IS NOT NULL
    GROUP BY ALL
)
SELECT *, conforming / items AS share, conforming / items >= 0.8 AS team_conforms
FROM counts
ORDER BY team_id, period_start;
