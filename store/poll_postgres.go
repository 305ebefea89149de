package store

// The poll queries on PostgreSQL, whose min and max are aggregates only:
// the two-argument forms are LEAST and GREATEST. Parameters as in pollDue.

// pollDuePG is pollDue.
const pollDuePG = `(c.fetched_at + GREATEST(?, LEAST(?, c.fetched_at - p.since)))`

// duePollsPG is DuePolls' list.
const duePollsPG = `SELECT p.check_id, ` + pollDuePG + ` AS due FROM polls AS p JOIN checks AS c ON c.check_id = p.check_id
	WHERE p.lease_until <= ? AND ` + pollDuePG + ` <= ? ORDER BY due, p.check_id LIMIT ?`

// nextPollPG is DuePolls' time of the next poll.
const nextPollPG = `SELECT min(GREATEST(` + pollDuePG + `, p.lease_until)) FROM polls AS p JOIN checks AS c ON c.check_id = p.check_id
	WHERE GREATEST(` + pollDuePG + `, p.lease_until) > ?`

// takePollLeasePG is TakePollLease's update.
const takePollLeasePG = `UPDATE polls AS p SET holder = ?, lease_until = ?
	WHERE p.check_id = ? AND (p.lease_until <= ? OR p.holder = ?)
	AND (SELECT ` + pollDuePG + ` FROM checks AS c WHERE c.check_id = p.check_id) <= ?`
