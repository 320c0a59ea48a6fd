#!/bin/sh
# Start seminar-bot the same way everywhere (Docker, systemd, `make smoke`): migrate, then serve.
set -eu
seminar-bot db upgrade
exec seminar-bot serve "$@"
