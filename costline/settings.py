"""Simulation sizes: how many queries and users the Monte Carlo draws. These are costline's
own settings (precision against time), not figures from the outside world.

Kept apart from the engine so that the CLI's help can show them without importing numpy."""

DEFAULT_QUERY_SAMPLES = 50_000
"""Simulated queries per feature: a p95 of cost per query within about 1% between seeds."""
DEFAULT_USERS_SIMULATED = 100_000
"""Simulated users for the per-user distributions (p95 user cost)."""
SOLVE_QUERY_SAMPLES = 20_000
"""Queries per feature in each of a goal-seek's engine runs: targets are first-month means."""
SOLVE_USERS_SIMULATED = 1_000
"""Users in each goal-seek run: targets are first-month means, users only feed the p95s."""
PREVIEW_QUERY_SAMPLES = 5_000
"""Queries per feature in a preview (the web page while a slider moves): about 3x the full
run's sampling error on a p95, in a tenth of the time; the page then settles on the full run."""
PREVIEW_USERS_SIMULATED = 5_000
"""Simulated users in a preview."""

# Bounds past which a figure can only be a slip (costline's own, not the world's): numbers
# this large overflow the simulation's draws or mean nothing for one user.
MAX_QUERIES_PER_USER_DAY = 100_000
"""Queries per active user per day: more than one a second, all day."""
MAX_USERS = 10_000_000_000
"""Monthly active users: more people than are alive."""
MAX_PARAMS = 1e15
"""Parameters of a model trained: 500x today's largest."""
MAX_TRAINING_TOKENS = 1e17
"""Training tokens: over 1,000x the largest published pre-training runs."""
MAX_LOGGED_COST_USD = 1e6
"""The cost a log records for one call: a million dollars is a slip, not a call."""
MAX_TOKENS_PER_CALL = 1e12
"""Tokens of one kind in one logged call: 100,000x the longest context windows sold."""
MAX_GPUS = 10_000_000
"""GPUs in one training cluster: 10x the largest ever announced."""
MAX_USD_PER_GPU_HOUR = 10_000.0
"""A GPU-hour's rental price: 1,000x today's list prices."""
MIN_MEMORY_LIMIT_BYTES = 100e6
"""The least memory a log-pricing session may be limited to: below it DuckDB runs out
reading the first file's buffers."""
