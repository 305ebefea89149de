-- Version 17: text from a response holds no NUL.
--
-- A response's JSON can carry a NUL (\u0000) in a name, a customer id or
-- an address. PostgreSQL's text cannot hold one: storing such a result
-- failed there, and an SQLite store holding one could not be copied to
-- PostgreSQL. Since this version both backends keep a NUL of those as
-- U+FFFD (store/fetch.go, storable), and read a filter or a customer id
-- alike; a check stored before kept its NUL, so its customer could not be
-- found by its own id. The update of search goes through
-- checks_search_update (0013), which indexes the new text in place of the
-- old. The response's own bytes (raw) are kept as they came.
--
-- SQLite's replace() cannot do it: a pattern whose first byte is a NUL is
-- taken as empty, and the text comes back unchanged. Each column is
-- rebuilt from its bytes instead, a NUL at a time (fix: rest is what is
-- left to read, done what is rebuilt), for the few checks holding one.
UPDATE checks SET
    customer_id = (WITH RECURSIVE fix(rest, done) AS (
        SELECT CAST(customer_id AS BLOB), x''
        UNION ALL
        SELECT substr(rest, instr(rest, x'00') + 1), done || substr(rest, 1, instr(rest, x'00') - 1) || x'EFBFBD'
        FROM fix WHERE instr(rest, x'00') > 0)
        SELECT CAST(done || rest AS TEXT) FROM fix WHERE instr(rest, x'00') = 0),
    first_name = (WITH RECURSIVE fix(rest, done) AS (
        SELECT CAST(first_name AS BLOB), x''
        UNION ALL
        SELECT substr(rest, instr(rest, x'00') + 1), done || substr(rest, 1, instr(rest, x'00') - 1) || x'EFBFBD'
        FROM fix WHERE instr(rest, x'00') > 0)
        SELECT CAST(done || rest AS TEXT) FROM fix WHERE instr(rest, x'00') = 0),
    last_name = (WITH RECURSIVE fix(rest, done) AS (
        SELECT CAST(last_name AS BLOB), x''
        UNION ALL
        SELECT substr(rest, instr(rest, x'00') + 1), done || substr(rest, 1, instr(rest, x'00') - 1) || x'EFBFBD'
        FROM fix WHERE instr(rest, x'00') > 0)
        SELECT CAST(done || rest AS TEXT) FROM fix WHERE instr(rest, x'00') = 0),
    address = (WITH RECURSIVE fix(rest, done) AS (
        SELECT CAST(address AS BLOB), x''
        UNION ALL
        SELECT substr(rest, instr(rest, x'00') + 1), done || substr(rest, 1, instr(rest, x'00') - 1) || x'EFBFBD'
        FROM fix WHERE instr(rest, x'00') > 0)
        SELECT CAST(done || rest AS TEXT) FROM fix WHERE instr(rest, x'00') = 0),
    search = (WITH RECURSIVE fix(rest, done) AS (
        SELECT CAST(search AS BLOB), x''
        UNION ALL
        SELECT substr(rest, instr(rest, x'00') + 1), done || substr(rest, 1, instr(rest, x'00') - 1) || x'EFBFBD'
        FROM fix WHERE instr(rest, x'00') > 0)
        SELECT CAST(done || rest AS TEXT) FROM fix WHERE instr(rest, x'00') = 0)
WHERE instr(customer_id, char(0)) > 0 OR instr(first_name, char(0)) > 0
   OR instr(last_name, char(0)) > 0 OR instr(address, char(0)) > 0
   OR instr(search, char(0)) > 0;
