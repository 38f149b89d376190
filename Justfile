# nix-hive task runner. Recipes pass arguments as separate words (quote-safe): `just deploy portico '*'`.
set positional-arguments

# List the recipes.
default:
    @just --list

# Deploy: `just deploy portico '*'` (options first: `just deploy -c example --goal test '*'`).
deploy *args:
    npx zx tasks/deploy.mjs "$@"

# Print the deploy plan without running it.
plan *args:
    npx zx tasks/plan.mjs "$@"

# Write a signing key pair and print the line instances must trust.
keygen *args:
    npx zx tasks/keygen.mjs "$@"

# Build the selected systems and print the resolved inventory as JSON.
build *args:
    npx zx tasks/build.mjs "$@"

# Which instances run what they should: `just status @web`.
status *args:
    npx zx tasks/status.mjs "$@"

# What a deploy would change, per (running → new) system pair: `just diff @web`.
diff *args:
    npx zx tasks/diff.mjs "$@"

# Print the generated ssh_config.
ssh-config *args:
    npx zx tasks/ssh-config.mjs "$@"

# Open a shell on an instance, or run one command: `just -- ssh www-2 -- uptime`
# (just itself eats the first `--` after the recipe, so give it one of its own first).
ssh *args:
    npx zx tasks/ssh.mjs "$@"

# Run the health checks of the selected instances on their own: `just check @web`.
check *args:
    npx zx tasks/check.mjs "$@"

# Switch instances back to their previous system generation (or `--to <n>`): `just rollback www-1`.
rollback *args:
    npx zx tasks/rollback.mjs "$@"

# Copy files, instance names on either side: `just scp www-1:/var/log/x .`.
scp *args:
    npx zx tasks/scp.mjs "$@"

# Run a command across the fleet: `just -- run @web -- systemctl status caddy` (the leading `--` is just's).
run *args:
    npx zx tasks/run.mjs "$@"

# Convert terraform/pulumi output or state to inventory YAML: `just import tf.json -o inventory/www.yaml`.
import *args:
    npx zx tasks/import.mjs "$@"

# Re-send keys without a deploy (e.g. after a reboot emptied /run/keys): `just upload-keys @web`.
upload-keys *args:
    npx zx tasks/upload-keys.mjs "$@"

# Bring up a local demo fleet (root) and deploy example/ to it.
demo *args:
    npx zx tasks/demo.mjs "$@"

# Tear the demo fleet down.
demo-down:
    npx zx tasks/demo-down.mjs

# All tests: type check, format check, unit tests, fleet tests (root).
test:
    npm test

# Benchmarks (root): uplink bytes, wall time, connections, planning at scale.
bench *args:
    npm run bench -- "$@"
