-- Analytics rollups. The key figures of docs/api.md are sums, counts and a
-- maximum of per-call parts; analytics_hourly keeps those parts per company,
-- queue and UTC hour, so a year of calls adds up from some thousands of rows
-- instead of a million. The answers stay exact:
--  * One definition: analytics_calls_in() and analytics_missed_in() give
--    every call's and missed offer's parts; the rollup is computed from
--    them and the live path sums the same functions.
--  * analytics_rollup_state.done_until: every hour before it was computed.
--    analytics_dirty: hours whose rows may be stale. A query takes an hour
--    from the rollup only when it lies before done_until and has no marker;
--    everything else (range edges, the open hour, dirty hours) is summed
--    live from calls in the same statement.
--  * Markers are inserted by triggers in the same transaction as the change
--    (no unique key, so writers never wait on each other), and the
--    refresher deletes a marker before it recomputes the hour with a later
--    snapshot; a marker committed after that stays and keeps the hour live.
--  * An hour with a call still in progress (its wait or hold grows with
--    now()) is computed but left marked, so it is always summed live.
--  * The refresher locks its company's state row: two daemons never
--    compute the same hour twice.

CREATE INDEX call_events_held_idx ON call_events (call_id)
	WHERE type = 'call.held';
CREATE INDEX call_events_held_time_idx ON call_events (company_id, at)
	WHERE type = 'call.held';
CREATE INDEX call_events_missed_idx ON call_events (company_id, at)
	WHERE type IN ('call.offer_missed', 'call.rejected');

-- The UTC hour of a time, whatever the session's time zone.
CREATE FUNCTION analytics_hour(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT date_trunc('hour', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

-- Each call offered in [lo, hi) (by enqueued_at) and its parts. Hold is
-- the call's held events, each up to the call's next event of another
-- type or now. Found per call for short ranges; for long ones by one pass
-- over the company's held events since the earliest of those calls was
-- created (a call's events come after its creation).
CREATE FUNCTION analytics_calls_in(p_company uuid, p_lo timestamptz,
    p_hi timestamptz)
RETURNS TABLE (at timestamptz, queue_id uuid, answered int, abandoned int,
    short_abandon int, within int, wait_answered double precision,
    talk double precision, hold double precision, waited double precision,
    live boolean)
LANGUAGE sql STABLE AS $$
	SELECT c.enqueued_at, c.queue_id,
	    (c.answered_at IS NOT NULL)::int,
	    (c.state = 'abandoned')::int,
	    (c.state = 'abandoned' AND c.wait_seconds <= 5)::int,
	    (c.answered_at IS NOT NULL AND
	     c.wait_seconds <= coalesce(q.sl_threshold, 20))::int,
	    CASE WHEN c.answered_at IS NOT NULL THEN c.wait_seconds END,
	    c.talk_seconds,
	    CASE WHEN p_hi - p_lo <= interval '1 day' THEN
	    (SELECT sum(extract(epoch FROM coalesce((SELECT min(x.at)
		FROM call_events x WHERE x.call_id = e.call_id AND x.id > e.id
		AND x.type <> 'call.held'), now()) - e.at))
	     FROM call_events e
	     WHERE e.call_id = c.id AND e.type = 'call.held')
	    ELSE h.hold END,
	    coalesce(c.wait_seconds, CASE WHEN c.state IN ('queued', 'offering')
		THEN extract(epoch FROM now() - c.enqueued_at) END),
	    c.state NOT IN ('completed', 'abandoned', 'missed', 'failed',
		'transferred')
	FROM calls c LEFT JOIN queues q ON q.id = c.queue_id
	LEFT JOIN (SELECT e.call_id, sum(extract(epoch FROM
		coalesce((SELECT min(x.at) FROM call_events x
		WHERE x.call_id = e.call_id AND x.id > e.id
		AND x.type <> 'call.held'), now()) - e.at)) AS hold
	    FROM call_events e
	    WHERE p_hi - p_lo > interval '1 day' AND e.company_id = p_company
	    AND e.type = 'call.held' AND e.at >= (SELECT min(c2.created_at)
		FROM calls c2 WHERE c2.company_id = p_company
		AND c2.enqueued_at >= p_lo AND c2.enqueued_at < p_hi)
	    GROUP BY e.call_id) h ON h.call_id = c.id
	WHERE c.company_id = p_company AND c.enqueued_at >= p_lo
	AND c.enqueued_at < p_hi
$$;

-- Each missed or rejected offer in [lo, hi) and the call's queue now.
CREATE FUNCTION analytics_missed_in(p_company uuid, p_lo timestamptz,
    p_hi timestamptz)
RETURNS TABLE (at timestamptz, queue_id uuid)
LANGUAGE sql STABLE AS $$
	SELECT e.at, c.queue_id
	FROM call_events e LEFT JOIN calls c ON c.id = e.call_id
	WHERE e.company_id = p_company
	AND e.type IN ('call.offer_missed', 'call.rejected')
	AND e.at >= p_lo AND e.at < p_hi
$$;

CREATE TABLE analytics_hourly (
	company_id	uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
	hour		timestamptz NOT NULL,
	-- true: the hour's total over every queue (queue_id NULL), so a
	-- company-wide year is 8,760 rows whatever the number of queues
	all_queues	boolean NOT NULL DEFAULT false,
	queue_id	uuid,		-- no reference: see analytics_dirty_queue
	offered		bigint NOT NULL,
	answered	bigint NOT NULL,
	abandoned	bigint NOT NULL,
	short_abandons	bigint NOT NULL,
	within		bigint NOT NULL,
	wait_sum	double precision,	-- of answered calls
	wait_n		bigint NOT NULL,
	talk_sum	double precision,
	talk_n		bigint NOT NULL,
	hold		double precision,
	longest		double precision,
	missed		bigint NOT NULL
);
CREATE INDEX analytics_hourly_idx ON analytics_hourly
	(company_id, all_queues, hour);

CREATE TABLE analytics_rollup_state (
	company_id	uuid PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
	done_until	timestamptz NOT NULL
);

-- No reference to companies: markers are written while a company's calls
-- are deleted with it; the refresher drops the orphans.
CREATE TABLE analytics_dirty (
	company_id	uuid NOT NULL,
	hour		timestamptz NOT NULL
);
CREATE INDEX analytics_dirty_idx ON analytics_dirty (company_id, hour);

-- Compute the rows of [lo, hi) (whole hours, none there yet).
CREATE FUNCTION analytics_rollup_compute(p_company uuid, p_lo timestamptz,
    p_hi timestamptz) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO analytics_hourly (company_id, hour, queue_id, offered,
	    answered, abandoned, short_abandons, within, wait_sum, wait_n,
	    talk_sum, talk_n, hold, longest, missed)
	SELECT p_company, u.hour, u.queue_id, sum(u.offered), sum(u.answered),
	    sum(u.abandoned), sum(u.short), sum(u.within), sum(u.ws),
	    sum(u.wn), sum(u.ts), sum(u.tn), sum(u.hold), max(u.longest),
	    sum(u.missed)
	FROM (SELECT analytics_hour(x.at) AS hour, x.queue_id,
		count(*) AS offered, coalesce(sum(x.answered), 0) AS answered,
		coalesce(sum(x.abandoned), 0) AS abandoned,
		coalesce(sum(x.short_abandon), 0) AS short,
		coalesce(sum(x.within), 0) AS within,
		sum(x.wait_answered) AS ws, count(x.wait_answered) AS wn,
		sum(x.talk) AS ts, count(x.talk) AS tn, sum(x.hold) AS hold,
		max(x.waited) AS longest, 0::bigint AS missed
	    FROM analytics_calls_in(p_company, p_lo, p_hi) x GROUP BY 1, 2
	    UNION ALL
	    SELECT analytics_hour(y.at), y.queue_id, 0, 0, 0, 0, 0, NULL, 0,
		NULL, 0, NULL, NULL, count(*)
	    FROM analytics_missed_in(p_company, p_lo, p_hi) y GROUP BY 1, 2) u
	GROUP BY u.hour, u.queue_id;
	INSERT INTO analytics_hourly (company_id, hour, all_queues, offered,
	    answered, abandoned, short_abandons, within, wait_sum, wait_n,
	    talk_sum, talk_n, hold, longest, missed)
	SELECT p_company, hour, true, sum(offered), sum(answered),
	    sum(abandoned), sum(short_abandons), sum(within), sum(wait_sum),
	    sum(wait_n), sum(talk_sum), sum(talk_n), sum(hold), max(longest),
	    sum(missed)
	FROM analytics_hourly WHERE company_id = p_company AND NOT all_queues
	AND hour >= p_lo AND hour < p_hi GROUP BY hour;
	-- Calls still in progress: their hours stay live.
	INSERT INTO analytics_dirty (company_id, hour)
	SELECT DISTINCT p_company, analytics_hour(x.at)
	FROM analytics_calls_in(p_company, p_lo, p_hi) x WHERE x.live;
$$;

-- One pass: recompute the dirty hours and move each company's done_until
-- forward by at most p_max_hours closed hours. True when some company has
-- more closed hours left than that.
CREATE FUNCTION analytics_rollup_refresh(p_max_hours int) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	co	uuid;
	st	timestamptz;
	hi	timestamptz;
	h	timestamptz;
	hrs	timestamptz[];
	more	boolean := false;
	cur	timestamptz := analytics_hour(now());
BEGIN
	DELETE FROM analytics_dirty d WHERE NOT EXISTS
	    (SELECT 1 FROM companies c WHERE c.id = d.company_id);
	FOR co IN SELECT id FROM companies ORDER BY id LOOP
		INSERT INTO analytics_rollup_state (company_id, done_until)
		SELECT co, least(cur,
		    analytics_hour((SELECT min(created_at) FROM calls
			WHERE company_id = co)),
		    analytics_hour((SELECT min(enqueued_at) FROM calls
			WHERE company_id = co AND enqueued_at IS NOT NULL)))
		ON CONFLICT (company_id) DO NOTHING;
		SELECT done_until INTO st FROM analytics_rollup_state
		WHERE company_id = co FOR UPDATE;
		-- Markers of hours not computed yet go too: the hours are
		-- computed below or in a later pass, with a later snapshot.
		WITH d AS (DELETE FROM analytics_dirty WHERE company_id = co
		    RETURNING hour)
		SELECT array_agg(DISTINCT d.hour) INTO hrs FROM d
		WHERE d.hour < st;
		IF hrs IS NOT NULL THEN
			DELETE FROM analytics_hourly
			WHERE company_id = co AND hour = ANY (hrs);
			FOREACH h IN ARRAY hrs LOOP
				PERFORM analytics_rollup_compute(co, h,
				    h + interval '1 hour');
			END LOOP;
		END IF;
		hi := least(cur, st + p_max_hours * interval '1 hour');
		IF hi > st THEN
			DELETE FROM analytics_hourly WHERE company_id = co
			AND hour >= st AND hour < hi;
			PERFORM analytics_rollup_compute(co, st, hi);
			UPDATE analytics_rollup_state SET done_until = hi
			WHERE company_id = co;
			more := more OR hi < cur;
		END IF;
	END LOOP;
	RETURN more;
END $$;

-- Mark the hours a change to a call touches. A call still in progress
-- needs none while it stays in progress: its hour is kept live anyway.
CREATE FUNCTION analytics_dirty_calls() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' AND OLD.enqueued_at IS NOT NULL THEN
		INSERT INTO analytics_dirty (company_id, hour)
		VALUES (OLD.company_id, analytics_hour(OLD.enqueued_at));
	END IF;
	IF TG_OP <> 'DELETE' AND NEW.enqueued_at IS NOT NULL AND
	    (TG_OP = 'INSERT' OR OLD.enqueued_at IS NULL OR
	    analytics_hour(NEW.enqueued_at) <> analytics_hour(OLD.enqueued_at) OR
	    NEW.company_id <> OLD.company_id) THEN
		INSERT INTO analytics_dirty (company_id, hour)
		VALUES (NEW.company_id, analytics_hour(NEW.enqueued_at));
	END IF;
	-- Missed offers count under the call's queue at query time.
	IF TG_OP = 'UPDATE' AND NEW.queue_id IS DISTINCT FROM OLD.queue_id THEN
		INSERT INTO analytics_dirty (company_id, hour)
		SELECT DISTINCT e.company_id, analytics_hour(e.at)
		FROM call_events e WHERE e.call_id = NEW.id
		AND e.type IN ('call.offer_missed', 'call.rejected');
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER analytics_dirty_calls_trg AFTER INSERT OR DELETE ON calls
	FOR EACH ROW EXECUTE FUNCTION analytics_dirty_calls();
CREATE TRIGGER analytics_dirty_calls_upd_trg AFTER UPDATE ON calls
	FOR EACH ROW WHEN (
	    (OLD.state IN ('completed', 'abandoned', 'missed', 'failed',
		'transferred') OR
	     NEW.state IN ('completed', 'abandoned', 'missed', 'failed',
		'transferred') OR
	     OLD.enqueued_at IS DISTINCT FROM NEW.enqueued_at OR
	     OLD.queue_id IS DISTINCT FROM NEW.queue_id OR
	     OLD.company_id IS DISTINCT FROM NEW.company_id) AND
	    (OLD.state, OLD.queue_id, OLD.enqueued_at, OLD.answered_at,
	     OLD.wait_seconds, OLD.talk_seconds, OLD.company_id)
	    IS DISTINCT FROM
	    (NEW.state, NEW.queue_id, NEW.enqueued_at, NEW.answered_at,
	     NEW.wait_seconds, NEW.talk_seconds, NEW.company_id))
	EXECUTE FUNCTION analytics_dirty_calls();

CREATE FUNCTION analytics_dirty_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO analytics_dirty (company_id, hour)
		VALUES (NEW.company_id, analytics_hour(NEW.at));
	ELSE
		INSERT INTO analytics_dirty (company_id, hour)
		VALUES (OLD.company_id, analytics_hour(OLD.at));
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER analytics_dirty_events_ins_trg AFTER INSERT ON call_events
	FOR EACH ROW WHEN (NEW.type IN ('call.offer_missed', 'call.rejected'))
	EXECUTE FUNCTION analytics_dirty_events();
CREATE TRIGGER analytics_dirty_events_del_trg AFTER DELETE ON call_events
	FOR EACH ROW WHEN (OLD.type IN ('call.offer_missed', 'call.rejected'))
	EXECUTE FUNCTION analytics_dirty_events();

-- A queue's threshold decides "within" for all its calls: its computed
-- hours go dirty. The state row's lock orders this after a refresh that
-- is computing them with the old threshold.
CREATE FUNCTION analytics_dirty_queue() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM analytics_rollup_state
	WHERE company_id = NEW.company_id FOR UPDATE;
	INSERT INTO analytics_dirty (company_id, hour)
	SELECT DISTINCT a.company_id, a.hour FROM analytics_hourly a
	WHERE a.company_id = NEW.company_id AND a.queue_id = NEW.id;
	RETURN NULL;
END $$;

CREATE TRIGGER analytics_dirty_queue_trg AFTER UPDATE OF sl_threshold
	ON queues FOR EACH ROW WHEN (OLD.sl_threshold <> NEW.sl_threshold)
	EXECUTE FUNCTION analytics_dirty_queue();

-- The whole hours of [from, to) answered from the rollup, as runs of
-- consecutive hours (rollup true), and the rest of the range (false). With
-- a time zone, only hours that fall in one local hour there (a whole-hour
-- offset, not changing inside the hour) qualify, so local buckets stay
-- exact; half-hour zones get none.
CREATE FUNCTION analytics_parts(p_company uuid, p_from timestamptz,
    p_to timestamptz, p_tz text, p_rollup boolean)
RETURNS TABLE (lo timestamptz, hi timestamptz, rollup boolean)
LANGUAGE plpgsql STABLE ROWS 4 AS $$
DECLARE
	a	timestamptz := analytics_hour(p_from + interval '1 hour'
		    - interval '1 microsecond');
	b	timestamptz := analytics_hour(p_to);
	cur	timestamptz;
	d	timestamptz;
	done	timestamptz;
BEGIN
	-- plpgsql: not inlined, so the planner takes ROWS 4, not a thousand.
	IF p_tz IS NULL THEN
		-- No buckets: [a, b) less the dirty hours, without a row per hour.
		SELECT s.done_until INTO done FROM analytics_rollup_state s
		WHERE s.company_id = p_company;
		b := CASE WHEN p_rollup AND done IS NOT NULL THEN least(b, done)
		    ELSE a END;
		IF a >= b THEN
			RETURN QUERY SELECT p_from, p_to, false;
			RETURN;
		END IF;
		IF p_from < a THEN
			RETURN QUERY SELECT p_from, a, false;
		END IF;
		cur := a;
		FOR d IN SELECT DISTINCT x.hour FROM analytics_dirty x
		    WHERE x.company_id = p_company AND x.hour >= a AND x.hour < b
		    ORDER BY 1 LOOP
			IF d > cur THEN
				RETURN QUERY SELECT cur, d, true;
			END IF;
			RETURN QUERY SELECT d, d + interval '1 hour', false;
			cur := d + interval '1 hour';
		END LOOP;
		IF b > cur THEN
			RETURN QUERY SELECT cur, b, true;
		END IF;
		IF p_to > b THEN
			RETURN QUERY SELECT b, p_to, false;
		END IF;
		RETURN;
	END IF;
	RETURN QUERY WITH g AS (
		SELECT h FROM analytics_rollup_state s,
		    generate_series(analytics_hour(p_from + interval '1 hour'
			- interval '1 microsecond'),
			p_to - interval '1 hour', interval '1 hour') h
		WHERE p_rollup AND s.company_id = p_company
		AND h < s.done_until
		AND h NOT IN (SELECT d.hour FROM analytics_dirty d
		    WHERE d.company_id = p_company
		    AND d.hour >= p_from - interval '1 hour' AND d.hour < p_to)
		AND (p_tz IS NULL OR (
		    extract(epoch FROM (h AT TIME ZONE p_tz) -
			(h AT TIME ZONE 'UTC'))::bigint % 3600 = 0 AND
		    (h AT TIME ZONE p_tz) + interval '1 hour' =
			((h + interval '1 hour' - interval '1 microsecond')
			AT TIME ZONE p_tz) + interval '1 microsecond'))),
	isl AS (
		SELECT min(h) AS lo, max(h) + interval '1 hour' AS hi
		FROM (SELECT h, h - row_number() OVER (ORDER BY h) *
		    interval '1 hour' AS k FROM g) x
		GROUP BY k)
	SELECT isl.lo, isl.hi, true FROM isl
	UNION ALL
	SELECT gaps.lo, gaps.hi, false FROM (
		SELECT coalesce(lag(isl.hi) OVER (ORDER BY isl.lo), p_from) AS lo,
		    isl.lo AS hi FROM isl
		UNION ALL
		SELECT coalesce(max(isl.hi), p_from), p_to FROM isl) gaps
	WHERE gaps.lo < gaps.hi;
END $$;
