# Sourced by scripts/test.sh and scripts/test_deploy.sh (not run): start PostgreSQL,
# Elasticsearch, Redis (and install nginx) and export their environment. With CI=true a
# service that cannot be started fails the run, and the tests are told to fail rather than
# skip (CREDIT_TEST_REQUIRE_SERVICES); elsewhere the tests that need one are skipped with a
# loud notice.
if bash scripts/services.sh up; then
    eval "$(bash scripts/services.sh env)"
else
    if [[ "${CI:-}" == "true" ]]; then
        echo "FATAL: PostgreSQL, Elasticsearch, Redis or nginx could not be started (CI=true)." >&2
        exit 1
    fi
    echo "WARNING: services unavailable: the tests that need PostgreSQL, Elasticsearch, Redis or nginx will be SKIPPED." >&2
fi
if [[ "${CI:-}" == "true" ]]; then
    export CREDIT_TEST_REQUIRE_SERVICES=true
fi
