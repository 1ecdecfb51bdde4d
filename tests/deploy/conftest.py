"""The deployment topology on loopback: `make test-deploy` (and CI, after `make test`).

These tests start their own processes (a worker beside gunicorn, two gunicorn instances
behind nginx, a three-node Elasticsearch cluster, a private PostgreSQL server they may
restart) and kill some of them on purpose, so they never share what the main suite uses:
each starts and stops its own instances on free loopback ports. They take minutes, which
is why they run apart from `make test` (README, "Deploying").
"""
