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
-- taken as empty, and the text comes back unchanged. The texts holding one
-- (few: normally none) are rebuilt from their bytes instead, a NUL at a
-- time (rest is what is left to read, done what is rebuilt), then written
-- back, each to its column.
CREATE TEMP TABLE nul_fixed AS
WITH RECURSIVE held(id, col, text) AS (
    SELECT id, 'customer_id', customer_id FROM checks WHERE instr(customer_id, char(0)) > 0
    UNION ALL SELECT id, 'first_name', first_name FROM checks WHERE instr(first_name, char(0)) > 0
    UNION ALL SELECT id, 'last_name', last_name FROM checks WHERE instr(last_name, char(0)) > 0
    UNION ALL SELECT id, 'address', address FROM checks WHERE instr(address, char(0)) > 0
    UNION ALL SELECT id, 'search', search FROM checks WHERE instr(search, char(0)) > 0
), fix(id, col, rest, done) AS (
    SELECT id, col, CAST(text AS BLOB), x'' FROM held
    UNION ALL
    SELECT id, col, substr(rest, instr(rest, x'00') + 1), done || substr(rest, 1, instr(rest, x'00') - 1) || x'EFBFBD'
    FROM fix WHERE instr(rest, x'00') > 0
)
SELECT id, col, CAST(done || rest AS TEXT) AS text FROM fix WHERE instr(rest, x'00') = 0;

UPDATE checks SET
    customer_id = coalesce((SELECT text FROM nul_fixed AS f WHERE f.id = checks.id AND f.col = 'customer_id'), customer_id),
    first_name  = coalesce((SELECT text FROM nul_fixed AS f WHERE f.id = checks.id AND f.col = 'first_name'), first_name),
    last_name   = coalesce((SELECT text FROM nul_fixed AS f WHERE f.id = checks.id AND f.col = 'last_name'), last_name),
    address     = coalesce((SELECT text FROM nul_fixed AS f WHERE f.id = checks.id AND f.col = 'address'), address),
    search      = coalesce((SELECT text FROM nul_fixed AS f WHERE f.id = checks.id AND f.col = 'search'), search)
WHERE id IN (SELECT id FROM nul_fixed);

DROP TABLE nul_fixed;
