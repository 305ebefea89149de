-- Version 8 is the SLA's (branch sla), merged beside this branch: this
-- placeholder only keeps the numbers without a gap until then. The
-- integrator drops it for sla's 0008 (two files numbered 8 are refused by
-- loadMigrations, so the merge cannot keep both by mistake).
SELECT 1;
