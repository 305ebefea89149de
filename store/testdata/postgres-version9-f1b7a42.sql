--
-- PostgreSQL database dump
--

\restrict prBKOG16pOjyTY2yHZcEKYOH2nIYXNRbib60pXTgM6LN4Klu8Yz6Gna9IN4DrkI

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;


--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';


--
-- Name: access_no_delete(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.access_no_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: records cannot be deleted';
END
$$;


--
-- Name: access_no_truncate(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.access_no_truncate() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: records cannot be deleted';
END
$$;


--
-- Name: access_no_update(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.access_no_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: records cannot be changed';
END
$$;


--
-- Name: checks_count_delete(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.checks_count_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM move_counts(NULL, OLD);
    RETURN NULL;
END
$$;


--
-- Name: checks_count_update(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.checks_count_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM move_counts(NEW, OLD);
    RETURN NULL;
END
$$;


--
-- Name: checks_inserted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.checks_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    before text;
BEGIN
    -- The check is no longer bare (checks_unbare). Its rows are found by
    -- id in tracked's index: joined to the transition table, which has no
    -- statistics, the planner hashed all of tracked for every batch (42 ms
    -- at 100,000 checks, growing with the store).
    UPDATE tracked AS t SET bare = 0 WHERE t.id = ANY (ARRAY(SELECT n.id FROM inserted AS n)) AND t.bare = 1;
    -- A check waiting at Caisson is polled from its first answer on
    -- (polls_insert).
    INSERT INTO polls (check_id, since)
        SELECT n.check_id, coalesce(n.fetched_at, 0) FROM inserted AS n
        WHERE n.outcome = 'PENDING_REVIEW' OR n.outcome = 'NOT_VERIFIED'
        ORDER BY n.check_id
        ON CONFLICT (check_id) DO NOTHING;
    -- The counts: each queue's rows counted by its definition, as
    -- queue_membership defines it (0001, for move_counts), written out
    -- here so that no row is made into a checks value to be judged. The
    -- row is locked before expired_before is read, so the memberships
    -- are judged on the date the update writes against.
    SELECT expired_before INTO before FROM queue_counts WHERE one = 1 FOR UPDATE;
    UPDATE queue_counts AS q SET
        risky         = q.risky         + m.risky,
        expired       = q.expired       + m.expired,
        pending       = q.pending       + m.pending,
        second_review = q.second_review + m.second_review,
        escalated     = q.escalated     + m.escalated,
        approved      = q.approved      + m.approved,
        rejected      = q.rejected      + m.rejected,
        errors        = q.errors        + m.errors,
        overdue       = q.overdue + (SELECT count(*) FROM inserted AS n
            WHERE n.status = 'open' AND n.reviewable_at > 0 AND n.reviewable_at < q.overdue_before)
    FROM (
        SELECT
            count(*) FILTER (WHERE c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0
                AND (c.document < 3 OR c.face < 3)) AS risky,
            count(*) FILTER (WHERE c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0
                AND c.document = 3 AND c.face = 3 AND c.expires_on > '' AND c.expires_on < before) AS expired,
            count(*) FILTER (WHERE c.status = 'open' AND (c.outcome = 'PENDING_REVIEW' OR c.outcome = 'NOT_VERIFIED') AND c.proposal = 0) AS pending,
            count(*) FILTER (WHERE c.proposal > 0) AS second_review,
            count(*) FILTER (WHERE c.status = 'escalated') AS escalated,
            count(*) FILTER (WHERE c.status = 'approved') AS approved,
            count(*) FILTER (WHERE c.status = 'rejected') AS rejected,
            count(*) FILTER (WHERE c.outcome <> '' AND c.outcome <> 'ok' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED') AS errors
        FROM inserted AS c
    ) AS m
    WHERE q.one = 1;
    RETURN NULL;
END
$$;


--
-- Name: checks_overdue_delete(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.checks_overdue_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE queue_counts SET overdue = overdue
        - (OLD.status = 'open' AND OLD.reviewable_at > 0 AND OLD.reviewable_at < overdue_before)::int
    WHERE one = 1;
    RETURN NULL;
END
$$;


--
-- Name: checks_overdue_update(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.checks_overdue_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE queue_counts SET overdue = overdue
        + (NEW.status = 'open' AND NEW.reviewable_at > 0 AND NEW.reviewable_at < overdue_before)::int
        - (OLD.status = 'open' AND OLD.reviewable_at > 0 AND OLD.reviewable_at < overdue_before)::int
    WHERE one = 1;
    RETURN NULL;
END
$$;


--
-- Name: checks_reviewable_proposal(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.checks_reviewable_proposal() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE checks SET reviewable_at = CASE WHEN NEW.reviewable_at > 0 THEN 0 ELSE NEW.fetched_at END WHERE id = NEW.id;
    RETURN NULL;
END
$$;


--
-- Name: decisions_no_delete(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.decisions_no_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the decision log is append-only: entries cannot be deleted';
END
$$;


--
-- Name: decisions_no_truncate(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.decisions_no_truncate() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the decision log is append-only: entries cannot be deleted';
END
$$;


--
-- Name: decisions_no_update(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.decisions_no_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the decision log is append-only: entries cannot be changed';
END
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: checks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.checks (
    id bigint NOT NULL,
    check_id text NOT NULL COLLATE pg_catalog."C",
    added_at bigint NOT NULL,
    added_by text NOT NULL COLLATE pg_catalog."C",
    source text NOT NULL COLLATE pg_catalog."C",
    fetched_at bigint,
    outcome text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    fetch_error text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    raw bytea,
    raw_hash text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    result_at bigint,
    cached bigint DEFAULT 0 NOT NULL,
    customer_id text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    first_name text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    last_name text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    document bigint DEFAULT 0 NOT NULL,
    face bigint DEFAULT 0 NOT NULL,
    risk bigint GENERATED ALWAYS AS (LEAST(document, face)) STORED NOT NULL,
    reasons text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    expires_on text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    checked_on bigint DEFAULT 0 NOT NULL,
    dob text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    address text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    purged_at bigint,
    status text DEFAULT 'open'::text NOT NULL COLLATE pg_catalog."C",
    search text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    proposal bigint DEFAULT 0 NOT NULL,
    reviewable_at bigint DEFAULT 0 NOT NULL,
    decided_at bigint DEFAULT 0 NOT NULL,
    wait_key bigint GENERATED ALWAYS AS (
CASE
    WHEN (reviewable_at = 0) THEN '9223372036854775807'::bigint
    WHEN (status = 'open'::text) THEN (reviewable_at - '4611686018427387904'::bigint)
    ELSE (reviewable_at - decided_at)
END) STORED,
    decided_week bigint GENERATED ALWAYS AS ((((decided_at / '86400000000000'::bigint) + 3) / 7)) STORED,
    waited bigint GENERATED ALWAYS AS ((decided_at - reviewable_at)) STORED,
    CONSTRAINT checks_source_check CHECK ((source = ANY (ARRAY['typed'::text, 'imported'::text, 'exchanged'::text]))),
    CONSTRAINT checks_status_check CHECK ((status = ANY (ARRAY['open'::text, 'approved'::text, 'rejected'::text, 'escalated'::text])))
)
WITH (autovacuum_vacuum_scale_factor='0.02', autovacuum_vacuum_insert_scale_factor='0.02', fillfactor='50');


--
-- Name: move_counts(public.checks, public.checks); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.move_counts(n public.checks, o public.checks) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    before text;
    a bigint[];
    b bigint[];
BEGIN
    SELECT expired_before INTO before FROM queue_counts WHERE one = 1 FOR UPDATE;
    a := queue_membership(n, before);
    b := queue_membership(o, before);
    UPDATE queue_counts SET
        risky         = risky         + a[1] - b[1],
        expired       = expired       + a[2] - b[2],
        pending       = pending       + a[3] - b[3],
        second_review = second_review + a[4] - b[4],
        escalated     = escalated     + a[5] - b[5],
        approved      = approved      + a[6] - b[6],
        rejected      = rejected      + a[7] - b[7],
        errors        = errors        + a[8] - b[8]
    WHERE one = 1;
END
$$;


--
-- Name: polls_delete(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.polls_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM polls WHERE check_id = OLD.check_id;
    RETURN NULL;
END
$$;


--
-- Name: polls_end(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.polls_end() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM polls WHERE check_id = NEW.check_id;
    RETURN NULL;
END
$$;


--
-- Name: polls_start(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.polls_start() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO polls (check_id, since) VALUES (NEW.check_id, coalesce(NEW.fetched_at, 0))
        ON CONFLICT (check_id) DO UPDATE SET since = excluded.since, holder = '', lease_until = 0;
    RETURN NULL;
END
$$;


--
-- Name: queue_membership(public.checks, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queue_membership(c public.checks, expired_before text) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ARRAY[
        -- risky
        coalesce((c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0 AND (c.document < 3 OR c.face < 3))::int, 0),
        -- expired
        coalesce((c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0 AND c.document = 3 AND c.face = 3 AND c.expires_on > '' AND c.expires_on < expired_before)::int, 0),
        -- pending
        coalesce((c.status = 'open' AND (c.outcome = 'PENDING_REVIEW' OR c.outcome = 'NOT_VERIFIED') AND c.proposal = 0)::int, 0),
        -- second_review
        coalesce((c.proposal > 0)::int, 0),
        -- escalated, approved, rejected
        coalesce((c.status = 'escalated')::int, 0),
        coalesce((c.status = 'approved')::int, 0),
        coalesce((c.status = 'rejected')::int, 0),
        -- errors
        coalesce((c.outcome <> '' AND c.outcome <> 'ok' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED')::int, 0)
    ]::bigint[]
$$;


--
-- Name: tracked_count_delete(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.tracked_count_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE queue_counts SET tracked = tracked - 1 WHERE one = 1;
    RETURN NULL;
END
$$;


--
-- Name: access; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.access (
    id bigint NOT NULL,
    at bigint NOT NULL,
    identity text NOT NULL COLLATE pg_catalog."C",
    reviewer text NOT NULL COLLATE pg_catalog."C",
    check_id text NOT NULL COLLATE pg_catalog."C",
    what text NOT NULL COLLATE pg_catalog."C",
    origin text NOT NULL COLLATE pg_catalog."C",
    address text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    prev_hash text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    hash text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    CONSTRAINT access_origin_check CHECK ((origin = ANY (ARRAY['console'::text, 'serve'::text, 'cli'::text]))),
    CONSTRAINT access_what_check CHECK ((what = ANY (ARRAY['detail'::text, 'show'::text, 'list'::text, 'export'::text])))
);


--
-- Name: access_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.access ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.access_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: claims; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.claims (
    seq bigint NOT NULL,
    session text NOT NULL COLLATE pg_catalog."C",
    check_id text NOT NULL COLLATE pg_catalog."C",
    reviewer text NOT NULL COLLATE pg_catalog."C",
    claimed_at bigint NOT NULL,
    heartbeat bigint NOT NULL
);


--
-- Name: claims_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.claims ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.claims_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: decision_days; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.decision_days (
    day text NOT NULL COLLATE pg_catalog."C",
    reviewer text NOT NULL COLLATE pg_catalog."C",
    action text NOT NULL COLLATE pg_catalog."C",
    proposes text NOT NULL COLLATE pg_catalog."C",
    reason text NOT NULL COLLATE pg_catalog."C",
    n bigint NOT NULL
);


--
-- Name: decisions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.decisions (
    seq bigint NOT NULL,
    check_id text COLLATE pg_catalog."C",
    action text NOT NULL COLLATE pg_catalog."C",
    note text NOT NULL COLLATE pg_catalog."C",
    reviewer text NOT NULL COLLATE pg_catalog."C",
    at text NOT NULL COLLATE pg_catalog."C",
    response_hash text NOT NULL COLLATE pg_catalog."C",
    prev_hash text NOT NULL COLLATE pg_catalog."C",
    hash text NOT NULL COLLATE pg_catalog."C",
    hash_version bigint DEFAULT 1 NOT NULL,
    identity text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    reason text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    finality text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    proposes text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    ref bigint DEFAULT 0 NOT NULL,
    old_value text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    new_value text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    CONSTRAINT decisions_action_check CHECK ((action = ANY (ARRAY['approve'::text, 'reject'::text, 'escalate'::text, 'reopen'::text, 'propose'::text, 'confirm'::text, 'return'::text, 'void'::text, 'policy'::text]))),
    CONSTRAINT decisions_check CHECK (((check_id IS NOT NULL) OR (action = 'policy'::text)))
);


--
-- Name: exchanges; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.exchanges (
    token text NOT NULL COLLATE pg_catalog."C",
    recorded_at bigint NOT NULL,
    added_by text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: polls; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.polls (
    check_id text NOT NULL COLLATE pg_catalog."C",
    since bigint NOT NULL,
    holder text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    lease_until bigint DEFAULT 0 NOT NULL
);


--
-- Name: queue_counts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_counts (
    one bigint NOT NULL,
    risky bigint NOT NULL,
    expired bigint NOT NULL,
    expired_before text NOT NULL COLLATE pg_catalog."C",
    pending bigint NOT NULL,
    second_review bigint NOT NULL,
    escalated bigint NOT NULL,
    approved bigint NOT NULL,
    rejected bigint NOT NULL,
    errors bigint NOT NULL,
    tracked bigint NOT NULL,
    sla bigint DEFAULT 0 NOT NULL,
    overdue bigint DEFAULT 0 NOT NULL,
    overdue_before bigint DEFAULT 0 NOT NULL,
    CONSTRAINT queue_counts_one_check CHECK ((one = 1))
);


--
-- Name: schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_version (
    version integer NOT NULL
);


--
-- Name: tracked; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tracked (
    id bigint NOT NULL,
    check_id text NOT NULL COLLATE pg_catalog."C",
    added_at bigint NOT NULL,
    added_by text NOT NULL COLLATE pg_catalog."C",
    source text NOT NULL COLLATE pg_catalog."C",
    bare bigint DEFAULT 1 NOT NULL
);


--
-- Name: tracked_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.tracked ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tracked_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: unfinished_copy; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unfinished_copy (
    one integer NOT NULL,
    source text NOT NULL,
    started_at bigint NOT NULL,
    CONSTRAINT unfinished_copy_one_check CHECK ((one = 1))
);


--
-- Data for Name: access; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.access (id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash) FROM stdin;
1	1796460458586391979	os:uid=0,login=root	ana	chk_priv_K0xLMPgcUMuUmWtNEHp4dg	show	cli			99019374c4d779a818f2f519451b33097a0d4dacee3ad290b244d07487f71dc4
2	1796460458614834173	os:uid=0,login=root	ana	chk_priv_SKIbX56C_FdZ-Y2Fjgx_fA	show	cli		99019374c4d779a818f2f519451b33097a0d4dacee3ad290b244d07487f71dc4	ff4c22ed2db86a4a80ca7f3527a6c307bc72dc2866dc332790650706b3a9070b
\.


--
-- Data for Name: checks; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.checks (id, check_id, added_at, added_by, source, fetched_at, outcome, fetch_error, raw, raw_hash, result_at, cached, customer_id, first_name, last_name, document, face, reasons, expires_on, checked_on, dob, address, purged_at, status, search, proposal, reviewable_at, decided_at) FROM stdin;
1	chk_priv_1mKQ5WEOVrIUStrrTR1kYg	1796460457306602776	ana	typed	1796460457870589300	ok		\\x7b22636865636b5f6964223a2263686b5f707269765f316d4b513557454f56724955537472725452316b5967222c22637573746f6d65725f6964223a2235373238333439202d204d696c6c65722c204173686c6579222c22636865636b65645f6f6e223a22323032362d30372d32315430323a32383a34312e3835363437382d31303a3030222c22636f6e666964656e6365223a7b22646f63756d656e74223a226c6f77222c2266616365223a2268696768222c22726561736f6e73223a5b7b22636f6465223a3330362c226465736372697074696f6e223a2250617373706f727473206f6e6c793a20636f756c64206e6f7420646574656374207468652070617373706f7274277320656e636f6465642064617461227d5d7d2c22696e666f223a7b226c6173745f6e616d65223a224d494c4c4552222c2266697273745f6e616d65223a224153484c4559222c22736578223a224d222c22646f62223a22313936322d30382d30355430303a30303a30305a222c22657870697265735f6f6e223a22323032382d30372d31345430303a30303a30305a222c2261646472657373223a7b22737472656574223a223336343020454c4d2053542023203346222c2263697479223a2242524f4f4b4c594e222c227374617465223a224e59222c227a6970223a223131323031227d7d7d	e95871af54c781fdebbb0894202d198f454c68bf56beef5fa474a5d1c2ddba1d	1796460457331843622	1	5728349 - Miller, Ashley	ASHLEY	MILLER	1	3	306	2028-07-14	1784636921856478000	1962-08-05	3640 ELM ST # 3F, BROOKLYN, NY 11201	\N	escalated	5728349 - miller, ashleyashleymiller	0	1796460457331843622	1796460458489198086
3	chk_priv_7m1xbyOc6HeKhUit-fpByA	1796460457306602776	ana	typed	1796460457870522521	ok		\\x7b22636865636b5f6964223a2263686b5f707269765f376d317862794f633648654b685569742d6670427941222c22637573746f6d65725f6964223a2233303830383936202d20416e646572736f6e2c204d69636861656c222c22636865636b65645f6f6e223a22323032362d30362d31355430323a34313a33322e3130373531352d30373a3030222c22636f6e666964656e6365223a7b22646f63756d656e74223a2268696768222c2266616365223a226d656469756d222c22726561736f6e73223a5b7b22636f6465223a3330322c226465736372697074696f6e223a224661636520636f756c64206e6f7420626520646574656374656420696e207468652075706c6f6164656420646f63756d656e74227d5d7d2c22696e666f223a7b226c6173745f6e616d65223a22414e444552534f4e222c2266697273745f6e616d65223a224d49434841454c222c22736578223a2246222c22646f62223a22323030332d30322d31305430303a30303a30305a222c22657870697265735f6f6e223a22323032372d31312d31335430303a30303a30305a222c2261646472657373223a7b22737472656574223a2232393933204d41494e205354204150542034222c2263697479223a22444554524f4954222c227374617465223a224d49222c227a6970223a223438323236227d7d7d	6e13e41a34118a88b5503b5066bd5a1bca4ca1bd0791aecfa5e9da4c1bd7eb0c	1796460457332516179	1	3080896 - Anderson, Michael	MICHAEL	ANDERSON	3	2	302	2027-11-13	1781516492107515000	2003-02-10	2993 MAIN ST APT 4, DETROIT, MI 48226	\N	open	3080896 - anderson, michaelmichaelanderson	0	1796460457332516179	0
8	chk_priv_KE82HnLsHERSAkvZM3eHEw	1796460457306602776	ana	typed	1796460457870525305	ok		\\x7b22636865636b5f6964223a2263686b5f707269765f4b453832486e4c7348455253416b765a4d3365484577222c22637573746f6d65725f6964223a2232363430383430202d205461796c6f722c2054796c6572222c22636865636b65645f6f6e223a22323032362d31302d32355430393a33363a34332e3833373732372d30383a3030222c22636f6e666964656e6365223a7b22646f63756d656e74223a226d656469756d222c2266616365223a226d656469756d222c22726561736f6e73223a5b7b22636f6465223a3130352c226465736372697074696f6e223a22536578206d69736d61746368227d2c7b22636f6465223a3230322c226465736372697074696f6e223a224661636520636f756c64206e6f7420626520646574656374656420696e207468652075706c6f616465642073656c666965227d5d7d2c22696e666f223a7b226c6173745f6e616d65223a225441594c4f52222c2266697273745f6e616d65223a2254594c4552222c22736578223a2246222c22646f62223a22313939322d30352d31395430303a30303a30305a222c22657870697265735f6f6e223a22323032392d30362d30315430303a30303a30305a222c2261646472657373223a7b22737472656574223a223435383320454c4d205354222c2263697479223a2253454154544c45222c227374617465223a225741222c227a6970223a223938313031227d7d7d	766ffb47bd91d3e619be984ef1d56c22c3372a1b5060c1a57080d32763b9c641	1796460457333115999	1	2640840 - Taylor, Tyler	TYLER	TAYLOR	2	2	105,202	2029-06-01	1792949803837727000	1992-05-19	4583 ELM ST, SEATTLE, WA 98101	\N	open	2640840 - taylor, tylertylertaylor	0	1796460457333115999	0
11	chk_priv__tNb47pLs32MkdL5z0xJ4Q	1796460457306602776	ana	typed	1796460458411649661	INTERNAL_ERROR	caisson: get check: gave up after 3 tries: Caisson answered INTERNAL_ERROR (HTTP 500): An internal error occurred, please retry	\N		\N	0				0	0			0			\N	open		0	0	0
7	chk_priv_K0xLMPgcUMuUmWtNEHp4dg	1796460457306602776	ana	typed	1796460457870525505	ok		\\x7b22636865636b5f6964223a2263686b5f707269765f4b30784c4d506763554d75556d57744e454870346467222c22637573746f6d65725f6964223a2236383332343139202d204b6f77616c637a796b2c20576f6a6369656368222c22636865636b65645f6f6e223a22323032362d31302d32375431383a34323a32302e3230373339362d30373a3030222c22636f6e666964656e6365223a7b22646f63756d656e74223a2268696768222c2266616365223a2268696768227d2c22696e666f223a7b226c6173745f6e616d65223a224b4f57414c435a594b222c2266697273745f6e616d65223a22574f4a4349454348222c22736578223a224d222c22646f62223a22323030302d30362d32365430303a30303a30305a222c22657870697265735f6f6e223a22323033322d30352d32385430303a30303a30305a222c2261646472657373223a7b22737472656574223a22363337382043524f574e204452204150542034222c2263697479223a224e455720594f524b222c227374617465223a224e59222c227a6970223a223130303031227d7d7d	4e049b0a774083391cebcaeabd984e667dfdca88e886be82aef5dc3a34556046	1796460457331452432	1	6832419 - Kowalczyk, Wojciech	WOJCIECH	KOWALCZYK	3	3		2032-05-28	1793151740207396000	2000-06-26	6378 CROWN DR APT 4, NEW YORK, NY 10001	\N	approved	6832419 - kowalczyk, wojciechwojciechkowalczyk	0	0	1796460458434589654
6	chk_priv_F_-tz4lDmShqLYSAGWjgjA	1796460457306602776	ana	typed	1796460457333551515	IDCHECK_EXPIRED	caisson: get check: Caisson answered IDCHECK_EXPIRED (HTTP 410): The ID Check has expired and its data is no longer available	\N		\N	0				0	0			0			\N	open		0	0	0
13	chk_priv_zWbLJMkbtEDl4VsUe8UH8g	1796460457306602776	ana	typed	1796460457332537241	IDCHECK_DELETED		\N		\N	0				0	0			0			1796460457332537241	open		0	0	0
4	chk_priv_84773I6u2FlmRdCbpKdwUg	1796460457306602776	ana	typed	1796460457870300872	PENDING_REVIEW	caisson: get check: Caisson answered PENDING_REVIEW (HTTP 200): The ID Check is pending manual review	\N		\N	0				0	0			0			\N	open		0	0	0
10	chk_priv_UcLa_ghERNzdzoD0RN-9Mw	1796460457306602776	ana	typed	1796460457870527879	ok		\\x7b22636865636b5f6964223a2263686b5f707269765f55634c615f676845524e7a647a6f4430524e2d394d77222c22637573746f6d65725f6964223a2233353431393838202d20416e646572736f6e2c20456d696c79222c22636865636b65645f6f6e223a22323032362d30382d31335431323a30303a32342e3533363038322d31303a3030222c22636f6e666964656e6365223a7b22646f63756d656e74223a2268696768222c2266616365223a226c6f77222c22726561736f6e73223a5b7b22636f6465223a3230312c226465736372697074696f6e223a225468652073656c66696520776173206e6f7420706f736974696f6e65642070726f7065726c792028652e672e206f6e6c792073686f77696e672070617274206f662074686520666163652c206661636520697320746f6f20636c6f73652f66617229227d5d7d2c22696e666f223a7b226c6173745f6e616d65223a22414e444552534f4e222c2266697273745f6e616d65223a22454d494c59222c22736578223a224d222c22646f62223a22313939352d30362d30375430303a30303a30305a222c22657870697265735f6f6e223a22323033302d30312d30345430303a30303a30305a222c2261646472657373223a7b22737472656574223a2232343232205041524b20504c202320313142222c2263697479223a224c4f5320414e47454c4553222c227374617465223a224341222c227a6970223a223930303132227d7d7d	8b1f4356eeb8156268b715b013528dd19bdeb24ffa7052772bc31ad63f2efd55	1796460457333065023	1	3541988 - Anderson, Emily	EMILY	ANDERSON	3	1	201	2030-01-04	1786658424536082000	1995-06-07	2422 PARK PL # 11B, LOS ANGELES, CA 90012	\N	open	3541988 - anderson, emilyemilyanderson	0	1796460457333065023	0
12	chk_priv_gvhYppofw5E50lmNh0FMbQ	1796460457306602776	ana	typed	1796460457870900752	ok		\\x7b22636865636b5f6964223a2263686b5f707269765f6776685970706f6677354535306c6d4e6830464d6251222c22637573746f6d65725f6964223a2235313137303038202d20536d6974682c204a656e6e69666572222c22636865636b65645f6f6e223a22323032362d31312d30375430383a30323a30312e3638333636342d30353a3030222c22636f6e666964656e6365223a7b22646f63756d656e74223a226c6f77222c2266616365223a226d656469756d222c22726561736f6e73223a5b7b22636f6465223a3330332c226465736372697074696f6e223a22536f6d652064617461206973206d697373696e672066726f6d2074686520646f63756d656e742028652e672e2061646472657373207761732065787065637465642062757420636f756c64206e6f7420626520646574656374656429227d2c7b22636f6465223a3239392c226465736372697074696f6e223a22416e206572726f72206f63637572726564207768696c652070726f63657373696e67207468652073656c66696520696d616765227d5d7d2c22696e666f223a7b226c6173745f6e616d65223a22534d495448222c2266697273745f6e616d65223a224a454e4e49464552222c22736578223a2246222c22646f62223a22313935322d30362d32325430303a30303a30305a222c22657870697265735f6f6e223a22323033312d30362d31345430303a30303a30305a222c2261646472657373223a7b22737472656574223a22313434302057415348494e47544f4e20424c5644204150542034222c2263697479223a2241555354494e222c227374617465223a225458222c227a6970223a223738373031227d7d7d	3981938e060529c1e24cb13bea5f4666f2af000abe10313451c1a6ff0518a4aa	1796460457332586203	1	5117008 - Smith, Jennifer	JENNIFER	SMITH	1	2	303,299	2031-06-14	1794056521683664000	1952-06-22	1440 WASHINGTON BLVD APT 4, AUSTIN, TX 78701	\N	open	5117008 - smith, jenniferjennifersmith	0	1796460457332586203	0
2	chk_priv_2jQ7Bae9fD16VHCQlW1RfQ	1796460457306602776	ana	typed	1796460457870527548	NOT_VERIFIED	caisson: get check: Caisson answered NOT_VERIFIED (HTTP 200): The ID Check could not be verified	\N		\N	0				0	0			0			\N	open		0	0	0
9	chk_priv_SKIbX56C_FdZ-Y2Fjgx_fA	1796460457306602776	ana	typed	1796460457870528239	ok		\\x7b22636865636b5f6964223a2263686b5f707269765f534b4962583536435f46645a2d5932466a67785f6641222c22637573746f6d65725f6964223a2237373434353532202d20446f652c204d6172637573222c22636865636b65645f6f6e223a22323032362d30392d31395431333a31383a32322e3931323539312d31303a3030222c22636f6e666964656e6365223a7b22646f63756d656e74223a226d656469756d222c2266616365223a2268696768222c22726561736f6e73223a5b7b22636f6465223a3339392c226465736372697074696f6e223a22416e206572726f72206f63637572726564207768696c652070726f63657373696e672074686520646f63756d656e74227d5d7d2c22696e666f223a7b226c6173745f6e616d65223a22444f45222c2266697273745f6e616d65223a224d4152435553222c22736578223a2246222c22646f62223a22313935312d30382d31375430303a30303a30305a222c22657870697265735f6f6e223a22323033322d31322d31375430303a30303a30305a222c2261646472657373223a7b22737472656574223a2232343431204d41504c45204c4e202320313142222c2263697479223a224e41534856494c4c45222c227374617465223a22544e222c227a6970223a223337323033227d7d7d	dfd08036480c29ec7b7cecd02ae235ce506447d789324f8565836a48f16fa882	1796460457331837503	1	7744552 - Doe, Marcus	MARCUS	DOE	2	3	399	2032-12-17	1789859902912591000	1951-08-17	2441 MAPLE LN # 11B, NASHVILLE, TN 37203	\N	approved	7744552 - doe, marcusmarcusdoe	0	1796460458522200173	1796460458554584874
5	chk_priv_EsMgNohxQIrtzEFXmwS5lg	1796460457306602776	ana	typed	1796460457870527057	INVALID_INPUT	caisson: get check: Caisson answered INVALID_INPUT (HTTP 400): Invalid input	\N		\N	0				0	0			0			\N	open		0	0	0
\.


--
-- Data for Name: claims; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.claims (seq, session, check_id, reviewer, claimed_at, heartbeat) FROM stdin;
\.


--
-- Data for Name: decision_days; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.decision_days (day, reviewer, action, proposes, reason, n) FROM stdin;
2026-12-05	ana	reject		other	1
2026-12-05	ana	escalate		other	1
2026-12-05	ana	reopen			1
2026-12-05	ana	approve			2
\.


--
-- Data for Name: decisions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.decisions (seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash, hash_version, identity, reason, finality, proposes, ref, old_value, new_value) FROM stdin;
1	chk_priv_K0xLMPgcUMuUmWtNEHp4dg	approve		ana	2026-12-05T08:47:38.434589654Z	4e049b0a774083391cebcaeabd984e667dfdca88e886be82aef5dc3a34556046		d01e442d7fef7ec726d872ae60329516fdf06d7cbf46cb90c939e94ddb4cc0c7	2	os:uid=0,login=root				0		
2	chk_priv_SKIbX56C_FdZ-Y2Fjgx_fA	reject	fixture reject	ana	2026-12-05T08:47:38.460904082Z	dfd08036480c29ec7b7cecd02ae235ce506447d789324f8565836a48f16fa882	d01e442d7fef7ec726d872ae60329516fdf06d7cbf46cb90c939e94ddb4cc0c7	549e0a5e5cb484d910ebaac76a38a10f2238ac94f6a5bfb4cd22ef5bfb497da9	2	os:uid=0,login=root	other	final		0		
3	chk_priv_1mKQ5WEOVrIUStrrTR1kYg	escalate	fixture escalate	ana	2026-12-05T08:47:38.489198086Z	e95871af54c781fdebbb0894202d198f454c68bf56beef5fa474a5d1c2ddba1d	549e0a5e5cb484d910ebaac76a38a10f2238ac94f6a5bfb4cd22ef5bfb497da9	cf2a9dca84ab095b8390a702a272bfbf1c649407490661c4518b331aa62ca138	2	os:uid=0,login=root	other			0		
4	chk_priv_SKIbX56C_FdZ-Y2Fjgx_fA	reopen	fixture reopen	ana	2026-12-05T08:47:38.522200173Z	dfd08036480c29ec7b7cecd02ae235ce506447d789324f8565836a48f16fa882	cf2a9dca84ab095b8390a702a272bfbf1c649407490661c4518b331aa62ca138	c77059fb449f30e4b07cd6e81064e5270d8027a061a110f436bca41751e83fba	2	os:uid=0,login=root				0		
5	chk_priv_SKIbX56C_FdZ-Y2Fjgx_fA	approve		ana	2026-12-05T08:47:38.554584874Z	dfd08036480c29ec7b7cecd02ae235ce506447d789324f8565836a48f16fa882	c77059fb449f30e4b07cd6e81064e5270d8027a061a110f436bca41751e83fba	3256e7fda644b0869be8ac283b769e485c4cd3c6b9fefdffb7c3a34818516c77	2	os:uid=0,login=root				0		
\.


--
-- Data for Name: exchanges; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.exchanges (token, recorded_at, added_by) FROM stdin;
\.


--
-- Data for Name: polls; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.polls (check_id, since, holder, lease_until) FROM stdin;
chk_priv_2jQ7Bae9fD16VHCQlW1RfQ	1796460457332516780		0
chk_priv_84773I6u2FlmRdCbpKdwUg	1796460457332515919		0
\.


--
-- Data for Name: queue_counts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.queue_counts (one, risky, expired, expired_before, pending, second_review, escalated, approved, rejected, errors, tracked, sla, overdue, overdue_before) FROM stdin;
1	4	0	2026-12-05	2	0	1	2	0	4	13	0	0	0
\.


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_version (version) FROM stdin;
1
2
3
4
5
6
7
8
9
\.


--
-- Data for Name: tracked; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.tracked (id, check_id, added_at, added_by, source, bare) FROM stdin;
7	chk_priv_K0xLMPgcUMuUmWtNEHp4dg	1796460457306602776	ana	typed	0
1	chk_priv_1mKQ5WEOVrIUStrrTR1kYg	1796460457306602776	ana	typed	0
2	chk_priv_2jQ7Bae9fD16VHCQlW1RfQ	1796460457306602776	ana	typed	0
3	chk_priv_7m1xbyOc6HeKhUit-fpByA	1796460457306602776	ana	typed	0
4	chk_priv_84773I6u2FlmRdCbpKdwUg	1796460457306602776	ana	typed	0
5	chk_priv_EsMgNohxQIrtzEFXmwS5lg	1796460457306602776	ana	typed	0
6	chk_priv_F_-tz4lDmShqLYSAGWjgjA	1796460457306602776	ana	typed	0
8	chk_priv_KE82HnLsHERSAkvZM3eHEw	1796460457306602776	ana	typed	0
9	chk_priv_SKIbX56C_FdZ-Y2Fjgx_fA	1796460457306602776	ana	typed	0
10	chk_priv_UcLa_ghERNzdzoD0RN-9Mw	1796460457306602776	ana	typed	0
12	chk_priv_gvhYppofw5E50lmNh0FMbQ	1796460457306602776	ana	typed	0
13	chk_priv_zWbLJMkbtEDl4VsUe8UH8g	1796460457306602776	ana	typed	0
11	chk_priv__tNb47pLs32MkdL5z0xJ4Q	1796460457306602776	ana	typed	0
\.


--
-- Data for Name: unfinished_copy; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unfinished_copy (one, source, started_at) FROM stdin;
\.


--
-- Name: access_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.access_id_seq', 1, false);


--
-- Name: claims_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.claims_seq_seq', 1, false);


--
-- Name: tracked_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.tracked_id_seq', 13, true);


--
-- Name: access access_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.access
    ADD CONSTRAINT access_pkey PRIMARY KEY (id);


--
-- Name: checks checks_check_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.checks
    ADD CONSTRAINT checks_check_id_key UNIQUE (check_id);


--
-- Name: checks checks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.checks
    ADD CONSTRAINT checks_pkey PRIMARY KEY (id);


--
-- Name: claims claims_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.claims
    ADD CONSTRAINT claims_pkey PRIMARY KEY (seq);


--
-- Name: claims claims_session_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.claims
    ADD CONSTRAINT claims_session_key UNIQUE (session);


--
-- Name: decision_days decision_days_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.decision_days
    ADD CONSTRAINT decision_days_pkey PRIMARY KEY (day, action, reviewer, proposes, reason);


--
-- Name: decisions decisions_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT decisions_hash_key UNIQUE (hash);


--
-- Name: decisions decisions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT decisions_pkey PRIMARY KEY (seq);


--
-- Name: exchanges exchanges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.exchanges
    ADD CONSTRAINT exchanges_pkey PRIMARY KEY (token);


--
-- Name: polls polls_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.polls
    ADD CONSTRAINT polls_pkey PRIMARY KEY (check_id);


--
-- Name: queue_counts queue_counts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_counts
    ADD CONSTRAINT queue_counts_pkey PRIMARY KEY (one);


--
-- Name: schema_version schema_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (version);


--
-- Name: tracked tracked_check_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tracked
    ADD CONSTRAINT tracked_check_id_key UNIQUE (check_id);


--
-- Name: tracked tracked_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tracked
    ADD CONSTRAINT tracked_pkey PRIMARY KEY (id);


--
-- Name: unfinished_copy unfinished_copy_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unfinished_copy
    ADD CONSTRAINT unfinished_copy_pkey PRIMARY KEY (one);


--
-- Name: access_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX access_at ON public.access USING btree (at);


--
-- Name: access_check; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX access_check ON public.access USING btree (check_id, at);


--
-- Name: checks_all_added; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_all_added ON public.checks USING btree (added_at, id) INCLUDE (search);


--
-- Name: checks_all_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_all_customer ON public.checks USING btree (customer_id, id) INCLUDE (search);


--
-- Name: checks_all_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_all_name ON public.checks USING btree (lower((last_name COLLATE "C")), lower((first_name COLLATE "C")), id) INCLUDE (search, last_name, first_name);


--
-- Name: checks_all_risk; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_all_risk ON public.checks USING btree (risk, checked_on, id) INCLUDE (search);


--
-- Name: checks_all_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_all_waiting ON public.checks USING btree (wait_key, id) INCLUDE (search);


--
-- Name: checks_decided_added; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_decided_added ON public.checks USING btree (status, added_at, id) INCLUDE (search) WHERE (status <> 'open'::text);


--
-- Name: checks_decided_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_decided_at ON public.checks USING btree (decided_at, reviewable_at) WHERE (decided_at <> 0);


--
-- Name: checks_decided_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_decided_customer ON public.checks USING btree (status, customer_id, id) INCLUDE (search) WHERE (status <> 'open'::text);


--
-- Name: checks_decided_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_decided_name ON public.checks USING btree (status, lower((last_name COLLATE "C")), lower((first_name COLLATE "C")), id) INCLUDE (search, last_name, first_name) WHERE (status <> 'open'::text);


--
-- Name: checks_decided_risk; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_decided_risk ON public.checks USING btree (status, risk, checked_on, id) INCLUDE (search) WHERE (status <> 'open'::text);


--
-- Name: checks_decided_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_decided_waiting ON public.checks USING btree (status, wait_key, id) INCLUDE (search) WHERE (status <> 'open'::text);


--
-- Name: checks_errors_added; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_errors_added ON public.checks USING btree (added_at, id) INCLUDE (search) WHERE ((outcome <> ''::text) AND (outcome <> 'ok'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text));


--
-- Name: checks_errors_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_errors_customer ON public.checks USING btree (customer_id, id) INCLUDE (search) WHERE ((outcome <> ''::text) AND (outcome <> 'ok'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text));


--
-- Name: checks_errors_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_errors_name ON public.checks USING btree (lower((last_name COLLATE "C")), lower((first_name COLLATE "C")), id) INCLUDE (search, last_name, first_name) WHERE ((outcome <> ''::text) AND (outcome <> 'ok'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text));


--
-- Name: checks_errors_risk; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_errors_risk ON public.checks USING btree (risk, checked_on, id) INCLUDE (search) WHERE ((outcome <> ''::text) AND (outcome <> 'ok'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text));


--
-- Name: checks_errors_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_errors_waiting ON public.checks USING btree (wait_key, id) INCLUDE (search) WHERE ((outcome <> ''::text) AND (outcome <> 'ok'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text));


--
-- Name: checks_open_added; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_open_added ON public.checks USING btree (added_at, id) INCLUDE (search, document, face, expires_on) WHERE ((cached = 1) AND (status = 'open'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text) AND (proposal = 0));


--
-- Name: checks_open_count; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_open_count ON public.checks USING btree (expires_on) WHERE ((cached = 1) AND (status = 'open'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text) AND (proposal = 0) AND (document = 3) AND (face = 3));


--
-- Name: checks_open_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_open_customer ON public.checks USING btree (customer_id, id) INCLUDE (search, document, face, expires_on) WHERE ((cached = 1) AND (status = 'open'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text) AND (proposal = 0));


--
-- Name: checks_open_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_open_name ON public.checks USING btree (lower((last_name COLLATE "C")), lower((first_name COLLATE "C")), id) INCLUDE (search, document, face, expires_on, last_name, first_name) WHERE ((cached = 1) AND (status = 'open'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text) AND (proposal = 0));


--
-- Name: checks_open_risk; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_open_risk ON public.checks USING btree (risk, checked_on, id) INCLUDE (search, document, face, expires_on) WHERE ((cached = 1) AND (status = 'open'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text) AND (proposal = 0));


--
-- Name: checks_open_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_open_waiting ON public.checks USING btree (wait_key, id) INCLUDE (search, document, face, expires_on) WHERE ((cached = 1) AND (status = 'open'::text) AND (outcome <> 'PENDING_REVIEW'::text) AND (outcome <> 'NOT_VERIFIED'::text) AND (proposal = 0));


--
-- Name: checks_outcomes; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_outcomes ON public.checks USING btree (document, face, status, decided_at) WHERE (decided_at <> 0);


--
-- Name: checks_pending_added; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_pending_added ON public.checks USING btree (added_at, id) INCLUDE (search) WHERE ((status = 'open'::text) AND ((outcome = 'PENDING_REVIEW'::text) OR (outcome = 'NOT_VERIFIED'::text)) AND (proposal = 0));


--
-- Name: checks_pending_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_pending_customer ON public.checks USING btree (customer_id, id) INCLUDE (search) WHERE ((status = 'open'::text) AND ((outcome = 'PENDING_REVIEW'::text) OR (outcome = 'NOT_VERIFIED'::text)) AND (proposal = 0));


--
-- Name: checks_pending_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_pending_name ON public.checks USING btree (lower((last_name COLLATE "C")), lower((first_name COLLATE "C")), id) INCLUDE (search, last_name, first_name) WHERE ((status = 'open'::text) AND ((outcome = 'PENDING_REVIEW'::text) OR (outcome = 'NOT_VERIFIED'::text)) AND (proposal = 0));


--
-- Name: checks_pending_risk; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_pending_risk ON public.checks USING btree (risk, checked_on, id) INCLUDE (search) WHERE ((status = 'open'::text) AND ((outcome = 'PENDING_REVIEW'::text) OR (outcome = 'NOT_VERIFIED'::text)) AND (proposal = 0));


--
-- Name: checks_pending_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_pending_waiting ON public.checks USING btree (wait_key, id) INCLUDE (search) WHERE ((status = 'open'::text) AND ((outcome = 'PENDING_REVIEW'::text) OR (outcome = 'NOT_VERIFIED'::text)) AND (proposal = 0));


--
-- Name: checks_reviewable; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_reviewable ON public.checks USING btree (reviewable_at, reasons) WHERE (reviewable_at <> 0);


--
-- Name: checks_search_trgm; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_search_trgm ON public.checks USING gin (search public.gin_trgm_ops);


--
-- Name: checks_second_added; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_second_added ON public.checks USING btree (added_at, id) INCLUDE (search) WHERE (proposal > 0);


--
-- Name: checks_second_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_second_customer ON public.checks USING btree (customer_id, id) INCLUDE (search) WHERE (proposal > 0);


--
-- Name: checks_second_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_second_name ON public.checks USING btree (lower((last_name COLLATE "C")), lower((first_name COLLATE "C")), id) INCLUDE (search, last_name, first_name) WHERE (proposal > 0);


--
-- Name: checks_second_risk; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_second_risk ON public.checks USING btree (risk, checked_on, id) INCLUDE (search) WHERE (proposal > 0);


--
-- Name: checks_second_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_second_waiting ON public.checks USING btree (wait_key, id) INCLUDE (search) WHERE (proposal > 0);


--
-- Name: checks_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_waiting ON public.checks USING btree (reviewable_at, id) WHERE ((status = 'open'::text) AND (reviewable_at <> 0));


--
-- Name: checks_waits; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX checks_waits ON public.checks USING btree (decided_week, waited) WHERE ((decided_at <> 0) AND (reviewable_at <> 0));


--
-- Name: decisions_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX decisions_at ON public.decisions USING btree (at);


--
-- Name: decisions_check; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX decisions_check ON public.decisions USING btree (check_id, seq);


--
-- Name: decisions_policy; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX decisions_policy ON public.decisions USING btree (reason, seq) WHERE (action = 'policy'::text);


--
-- Name: tracked_bare; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tracked_bare ON public.tracked USING btree (id) WHERE (bare = 1);


--
-- Name: tracked_bare_added; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tracked_bare_added ON public.tracked USING btree (added_at, id) WHERE (bare = 1);


--
-- Name: access access_no_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER access_no_delete BEFORE DELETE ON public.access FOR EACH ROW EXECUTE FUNCTION public.access_no_delete();


--
-- Name: access access_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER access_no_truncate BEFORE TRUNCATE ON public.access FOR EACH STATEMENT EXECUTE FUNCTION public.access_no_truncate();


--
-- Name: access access_no_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER access_no_update BEFORE UPDATE ON public.access FOR EACH ROW EXECUTE FUNCTION public.access_no_update();


--
-- Name: checks checks_count_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER checks_count_delete AFTER DELETE ON public.checks FOR EACH ROW EXECUTE FUNCTION public.checks_count_delete();


--
-- Name: checks checks_count_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER checks_count_update AFTER UPDATE OF cached, status, outcome, proposal, document, face, expires_on ON public.checks FOR EACH ROW EXECUTE FUNCTION public.checks_count_update();


--
-- Name: checks checks_inserted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER checks_inserted AFTER INSERT ON public.checks REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.checks_inserted();


--
-- Name: checks checks_overdue_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER checks_overdue_delete AFTER DELETE ON public.checks FOR EACH ROW WHEN ((old.reviewable_at > 0)) EXECUTE FUNCTION public.checks_overdue_delete();


--
-- Name: checks checks_overdue_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER checks_overdue_update AFTER UPDATE OF status, reviewable_at ON public.checks FOR EACH ROW WHEN (((new.status IS DISTINCT FROM old.status) OR (new.reviewable_at IS DISTINCT FROM old.reviewable_at))) EXECUTE FUNCTION public.checks_overdue_update();


--
-- Name: checks checks_reviewable_proposal; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER checks_reviewable_proposal AFTER UPDATE OF proposal ON public.checks FOR EACH ROW WHEN (((new.status = 'open'::text) AND (new.proposal = 0) AND (old.proposal <> 0) AND ((new.reviewable_at > 0) <> ((new.cached = 1) AND (new.outcome <> 'PENDING_REVIEW'::text) AND (new.outcome <> 'NOT_VERIFIED'::text) AND ((new.document < 3) OR (new.face < 3) OR ((new.expires_on <> ''::text) AND (new.expires_on < to_char((to_timestamp(((new.fetched_at / 1000000000))::double precision) AT TIME ZONE 'UTC'::text), 'YYYY-MM-DD'::text)))))))) EXECUTE FUNCTION public.checks_reviewable_proposal();


--
-- Name: decisions decisions_no_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER decisions_no_delete BEFORE DELETE ON public.decisions FOR EACH ROW EXECUTE FUNCTION public.decisions_no_delete();


--
-- Name: decisions decisions_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON public.decisions FOR EACH STATEMENT EXECUTE FUNCTION public.decisions_no_truncate();


--
-- Name: decisions decisions_no_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER decisions_no_update BEFORE UPDATE ON public.decisions FOR EACH ROW EXECUTE FUNCTION public.decisions_no_update();


--
-- Name: checks polls_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER polls_delete AFTER DELETE ON public.checks FOR EACH ROW EXECUTE FUNCTION public.polls_delete();


--
-- Name: checks polls_end; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER polls_end AFTER UPDATE OF outcome ON public.checks FOR EACH ROW WHEN ((((old.outcome = 'PENDING_REVIEW'::text) OR (old.outcome = 'NOT_VERIFIED'::text)) AND (NOT ((new.outcome = 'PENDING_REVIEW'::text) OR (new.outcome = 'NOT_VERIFIED'::text))))) EXECUTE FUNCTION public.polls_end();


--
-- Name: checks polls_start; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER polls_start AFTER UPDATE OF outcome ON public.checks FOR EACH ROW WHEN ((((new.outcome = 'PENDING_REVIEW'::text) OR (new.outcome = 'NOT_VERIFIED'::text)) AND (NOT ((old.outcome = 'PENDING_REVIEW'::text) OR (old.outcome = 'NOT_VERIFIED'::text))))) EXECUTE FUNCTION public.polls_start();


--
-- Name: tracked tracked_count_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER tracked_count_delete AFTER DELETE ON public.tracked FOR EACH ROW EXECUTE FUNCTION public.tracked_count_delete();


--
-- Name: decisions decisions_check_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT decisions_check_id_fkey FOREIGN KEY (check_id) REFERENCES public.checks(check_id);


--
-- Name: polls polls_check_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.polls
    ADD CONSTRAINT polls_check_id_fkey FOREIGN KEY (check_id) REFERENCES public.checks(check_id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict prBKOG16pOjyTY2yHZcEKYOH2nIYXNRbib60pXTgM6LN4Klu8Yz6Gna9IN4DrkI

