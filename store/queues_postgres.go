package store

// allCondPG is the all queue's condition on PostgreSQL: none. A constant
// TRUE (SQLite's is 1) is a qual PostgreSQL checks once, above the scan,
// which keeps it from merging the all queue's two sides (checks rows and
// bare checks) in their indexes' order: it sorted every check instead.
const allCondPG = ""
