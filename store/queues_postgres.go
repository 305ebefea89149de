package store

// allCondPG is the all queue's condition on PostgreSQL, where a condition
// is a boolean, not SQLite's integer 1.
const allCondPG = "TRUE"
