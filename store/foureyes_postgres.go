package store

// PostgreSQL has no INDEXED BY: its planner picks the partial index of
// Second review (proposal > 0) for these by itself.

// openProposalsPG is voidAllTx's read of every proposal awaiting a second
// reviewer.
const openProposalsPG = "SELECT check_id, proposal, raw, raw_hash FROM checks WHERE proposal > 0 ORDER BY proposal"

// countConfirmablePG is CountConfirmable's count.
const countConfirmablePG = `SELECT count(*) FROM checks AS c
	JOIN decisions AS d ON d.seq = c.proposal WHERE c.proposal > 0 AND d.identity <> ?`
